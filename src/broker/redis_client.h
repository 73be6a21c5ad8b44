// One connection to a Redis server, the broker that carries measurement jobs
// between tuners and workers (docs/architecture.md, "Scale-out"). A thin layer
// over hiredis: commands as argument vectors, replies as plain values, and two
// kinds of failure: BrokerUnavailable when the server cannot be reached (the
// caller may reconnect and retry), Error for a reply the server refused.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/error.h"

struct redisContext;

namespace bcd::broker {

// The server is unreachable or the connection broke: worth retrying.
class BrokerUnavailable : public Error {
 public:
  using Error::Error;
};

// Where the broker is: redis://[user[:password]@]host[:port] (port 6379 by default).
struct BrokerAddress {
  std::string host;
  int port = 6379;
  std::string user;      // "" with a password alone: Redis's "default" user
  std::string password;  // "": no AUTH
  // The URL without the password, for messages and logs.
  std::string display() const;
};
// Fails with one line on anything but that form.
BrokerAddress parse_broker_url(const std::string& url);

struct RedisValue {
  enum class Type { Nil, String, Integer, Array, Status };
  Type type = Type::Nil;
  std::string str;        // String and Status
  long long integer = 0;  // Integer
  std::vector<RedisValue> elements;  // Array
  bool is_nil() const { return type == Type::Nil; }
  // The element at i, or a Nil value when out of range.
  const RedisValue& at(size_t i) const;
};

// One entry of a stream as XREAD, XREADGROUP and XCLAIM return it.
struct StreamEntry {
  std::string id;
  std::map<std::string, std::string> fields;
};
// The entries of a reply's list of [id, [field, value, ...]] pairs.
std::vector<StreamEntry> stream_entries(const RedisValue& entries);

class RedisClient {
 public:
  // Connects and authenticates. BrokerUnavailable when nothing answers within
  // `timeout`; Error when the server refuses the credentials.
  RedisClient(BrokerAddress address, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. A blocking command (XREAD BLOCK) must block for less than
  // the connection's timeout. An error reply fails with Error naming the command;
  // a broken connection with BrokerUnavailable (and every later call too).
  RedisValue command(const std::vector<std::string>& args);
  // Sends all commands, then reads all replies (one round trip): the replies in
  // order; an error reply fails once every reply is read.
  std::vector<RedisValue> pipeline(const std::vector<std::vector<std::string>>& commands);

  // Creates consumer group `group` of `stream`, reading it from the start; a group
  // that exists already is left as it is. `make_stream` creates a missing stream
  // (empty); without it, a missing stream fails with Error.
  void create_group(const std::string& stream, const std::string& group, bool make_stream);

  const BrokerAddress& address() const { return address_; }

 private:
  BrokerAddress address_;
  redisContext* context_ = nullptr;
};

}  // namespace bcd::broker
