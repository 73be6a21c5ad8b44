#include "broker/redis_client.h"

#include <fmt/format.h>

#ifdef BCD_HAVE_HIREDIS
#include <hiredis/hiredis.h>
#endif

#include <charconv>

namespace bcd::broker {

std::string BrokerAddress::display() const {
  std::string who = user.empty() ? "" : user + "@";
  return fmt::format("redis://{}{}:{}", who, host, port);
}

BrokerAddress parse_broker_url(const std::string& url) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0)
    fail("invalid broker URL '{}': expected redis://[user:password@]host[:port]", url);
  std::string rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  BrokerAddress a;
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = credentials.find(':');
    a.user = credentials.substr(0, colon);
    if (colon != std::string::npos) a.password = credentials.substr(colon + 1);
    if (colon == std::string::npos) {  // redis://password@host is how some tools spell a password alone
      a.password = a.user;
      a.user.clear();
    }
  }
  if (size_t colon = rest.rfind(':'); colon != std::string::npos && rest.find(']') == std::string::npos) {
    std::string port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
    if (ec != std::errc() || end != port.data() + port.size() || a.port < 1 || a.port > 65535)
      fail("invalid broker URL '{}': the port '{}' is not a number from 1 to 65535", url, port);
  }
  if (rest.empty() || rest.find('/') != std::string::npos)
    fail("invalid broker URL '{}': expected redis://[user:password@]host[:port]", url);
  a.host = rest;
  return a;
}

const RedisValue& RedisValue::at(size_t i) const {
  static const RedisValue nil;
  return i < elements.size() ? elements[i] : nil;
}

std::vector<StreamEntry> stream_entries(const RedisValue& entries) {
  std::vector<StreamEntry> out;
  for (const RedisValue& e : entries.elements) {
    if (e.elements.empty()) continue;  // XCLAIM's nil for an entry deleted meanwhile
    StreamEntry entry{e.at(0).str, {}};
    const RedisValue& kv = e.at(1);
    for (size_t i = 0; i + 1 < kv.elements.size(); i += 2) entry.fields[kv.elements[i].str] = kv.elements[i + 1].str;
    out.push_back(std::move(entry));
  }
  return out;
}

void RedisClient::create_group(const std::string& stream, const std::string& group, bool make_stream) {
  std::vector<std::string> args = {"XGROUP", "CREATE", stream, group, "0"};
  if (make_stream) args.push_back("MKSTREAM");
  try {
    command(args);
  } catch (const BrokerUnavailable&) {
    throw;
  } catch (const Error& e) {
    if (std::string(e.what()).rfind("BUSYGROUP", 0) != 0) throw;
  }
}

#ifdef BCD_HAVE_HIREDIS

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisValue convert(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      v.type = RedisValue::Type::String;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::Status;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::Integer;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::Array;
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;  // nil
  }
  return v;
}

}  // namespace

RedisClient::RedisClient(BrokerAddress address, std::chrono::milliseconds timeout) : address_(std::move(address)) {
  context_ = redisConnectWithTimeout(address_.host.c_str(), address_.port, to_timeval(timeout));
  if (!context_) throw BrokerUnavailable(fmt::format("cannot reach the broker {}: out of memory", address_.display()));
  if (context_->err) {
    std::string why = context_->errstr;
    redisFree(context_);
    context_ = nullptr;
    throw BrokerUnavailable(fmt::format("cannot reach the broker {}: {}", address_.display(), why));
  }
  redisSetTimeout(context_, to_timeval(timeout));
  if (!address_.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!address_.user.empty()) auth.push_back(address_.user);
    auth.push_back(address_.password);
    try {
      command(auth);
    } catch (const BrokerUnavailable&) {
      throw;
    } catch (const Error& e) {
      throw Error(fmt::format("the broker {} refused the credentials: {}", address_.display(), e.what()));
    }
  }
}

RedisClient::~RedisClient() {
  if (context_) redisFree(context_);
}

RedisValue RedisClient::command(const std::vector<std::string>& args) { return pipeline({args}).at(0); }

std::vector<RedisValue> RedisClient::pipeline(const std::vector<std::vector<std::string>>& commands) {
  auto lost = [&] {
    return BrokerUnavailable(fmt::format("lost the broker {}: {}", address_.display(),
                                         context_ && context_->errstr[0] ? context_->errstr : "no reply"));
  };
  if (!context_ || context_->err) throw lost();
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK)
      throw lost();
  }
  std::vector<RedisValue> values;
  std::string first_error;
  for (const auto& args : commands) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || !raw) throw lost();
    auto* reply = static_cast<redisReply*>(raw);
    if (reply->type == REDIS_REPLY_ERROR && first_error.empty())
      first_error = fmt::format("{} ({})", std::string(reply->str, reply->len), args.empty() ? "" : args[0]);
    values.push_back(convert(reply));
    freeReplyObject(reply);
  }
  if (!first_error.empty()) throw Error(first_error);
  return values;
}

#else

RedisClient::RedisClient(BrokerAddress address, std::chrono::milliseconds) : address_(std::move(address)) {
  fail("this bcd was built without hiredis (Debian libhiredis-dev), so it cannot use a broker");
}
RedisClient::~RedisClient() = default;
RedisValue RedisClient::command(const std::vector<std::string>&) { return {}; }
std::vector<RedisValue> RedisClient::pipeline(const std::vector<std::vector<std::string>>&) { return {}; }

#endif

}  // namespace bcd::broker
