#include "common/list_query.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <set>

#include "common/json_codec.h"

namespace ledger {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high < 0 || low < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

void decodeParameter(const std::string& name, const std::string& value,
                     ListQueryDecodeResult& result) {
  auto& query = result.query;
  auto fault = [&](std::string description) {
    result.violations.push_back({name, std::move(description)});
  };
  auto label = [&](std::optional<std::string>& target) {
    if (isDnsLabel(value)) {
      target = value;
    } else {
      fault("must be a DNS-1123 label");
    }
  };
  if (name == "environment_name") {
    label(query.environment_name);
  } else if (name == "logical_environment_name") {
    label(query.logical_environment_name);
  } else if (name == "deployment_name") {
    label(query.deployment_name);
  } else if (name == "artifact_digest") {
    if (auto problem = describeDigestFault(value); !problem.empty()) {
      fault(problem);
    } else {
      query.artifact_digest = value;
    }
  } else if (name == "status") {
    if (auto status = parseDeploymentStatus(value)) {
      query.status = status;
    } else {
      fault(
          "must be one of DEPLOYED, DECOMMISSIONED, SUPERSEDED (or "
          "DEPLOYMENT_STATUS_UNSPECIFIED for any)");
    }
  } else if (name == "kind") {
    if (auto kind = parseArtifactKind(value)) {
      query.kind = kind;
    } else {
      fault("must be one of ARTIFACT_KIND_UNSPECIFIED, CONTAINER_IMAGE, HELM_CHART");
    }
  } else if (name == "pagination.page") {
    const auto page = parseInteger(value);
    if (!page || *page < 0) {
      fault("must be a whole number, 0 or more");
    } else if (*page > kMaxPage) {
      fault("must be at most " + std::to_string(kMaxPage));
    } else {
      query.page = *page;
    }
  } else if (name == "pagination.page_size") {
    const auto size = parseInteger(value);
    if (!size || *size < 0) {
      fault("must be a whole number, 0 or more");
    } else {
      query.page_size = *size == 0 ? kDefaultPageSize
                                   : static_cast<int>(std::min<std::int64_t>(*size, kMaxPageSize));
    }
  } else {
    fault("is not a parameter of this request");
  }
}

}  // namespace

ListQueryDecodeResult decodeListQuery(std::string_view query_string) {
  ListQueryDecodeResult result;
  std::set<std::string> seen;
  while (!query_string.empty()) {
    const auto amp = query_string.find('&');
    const auto pair = query_string.substr(0, amp);
    query_string =
        amp == std::string_view::npos ? std::string_view() : query_string.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto equals = pair.find('=');
    const auto raw_name = pair.substr(0, equals);
    const auto raw_value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    const auto name = percentDecode(raw_name);
    const auto value = percentDecode(raw_value);
    if (!name || !value) {
      result.violations.push_back({"query", "has a malformed percent-encoding"});
      continue;
    }
    const std::string shown = name->size() > 64 ? name->substr(0, 64) + "..." : *name;
    if (!seen.insert(*name).second) {
      result.violations.push_back({shown, "is given more than once"});
      continue;
    }
    decodeParameter(shown, *value, result);
  }
  return result;
}

bool isRecordId(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string encodeListResponse(const ListPage& page, const ListQuery& query) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("deployment_records");
  writer.StartArray();
  for (const auto& record : page.records) {
    const auto json = encodeRecord(record);
    writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  }
  writer.EndArray();
  writer.Key("pagination");
  writer.StartObject();
  writer.Key("total_count");
  writer.Int64(page.total_count);
  writer.Key("page");
  writer.Int64(query.page);
  writer.Key("total_pages");
  writer.Int64((page.total_count + query.page_size - 1) / query.page_size);
  writer.Key("page_size");
  writer.Int(query.page_size);
  writer.EndObject();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace ledger
