#include "runtime/worker_protocol.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/error.h"

namespace bcd::runtime::worker {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json parse_line(const std::string& line, const char* what) {
  try {
    json j = json::parse(line);
    if (!j.is_object()) fail("not an object");
    return j;
  } catch (const json::exception& e) {
    fail("malformed {} from the measurement channel: {}", what, e.what());
  } catch (const Error& e) {
    fail("malformed {} from the measurement channel: {}", what, e.what());
  }
}

}  // namespace

namespace {

json encode_program(const CudaProgram& p) {
  json launches = json::array(), buffers = json::array();
  for (const CudaLaunch& l : p.launches) launches.push_back({{"kernel", l.kernel}, {"grid", l.grid}, {"block", l.block}});
  for (const auto& [name, floats] : p.buffers) buffers.push_back({{"name", name}, {"floats", floats}});
  return {{"launches", launches}, {"buffers", buffers}};
}

CudaProgram decode_program(const json& j) {
  CudaProgram p;
  for (const json& l : j.at("launches"))
    p.launches.push_back({l.at("kernel").get<std::string>(), l.at("grid").get<std::array<unsigned, 3>>(),
                          l.at("block").get<std::array<unsigned, 3>>()});
  for (const json& b : j.at("buffers"))
    p.buffers.emplace_back(b.at("name").get<std::string>(), b.at("floats").get<int64_t>());
  return p;
}

}  // namespace

std::string encode_request(const Request& r) {
  json j = {{"target", r.target},     {"library", r.library},   {"kernel", r.kernel},
            {"number", r.number},     {"repeat", r.repeat},
            {"min_repeat_ms", r.min_repeat_ms}, {"verify", r.verify},
            {"flush_cache", r.flush_cache},     {"rtol", r.rtol},
            {"atol", r.atol}};
  if (r.target == "cuda") j["cuda_program"] = encode_program(r.cuda_program);
  if (r.evict_activations) j["evict_activations"] = true;
  if (!r.weight_inputs.empty()) j["weight_inputs"] = r.weight_inputs;
  if (!r.packs.empty()) {
    json packs = json::array();
    for (const InputPack& p : r.packs) packs.push_back({{"input", p.input}, {"function", p.function}});
    j["packs"] = packs;
  }
  return j.dump();
}

Request decode_request(const std::string& line) {
  json j = parse_line(line, "request");
  try {
    Request r;
    r.target = j.at("target").get<std::string>();
    r.library = j.at("library").get<std::string>();
    r.kernel = j.at("kernel").get<std::string>();
    r.number = j.at("number").get<int>();
    r.repeat = j.at("repeat").get<int>();
    r.min_repeat_ms = j.at("min_repeat_ms").get<double>();
    r.verify = j.at("verify").get<bool>();
    r.flush_cache = j.at("flush_cache").get<bool>();
    r.rtol = j.at("rtol").get<double>();
    r.atol = j.at("atol").get<double>();
    if (r.target == "cuda") r.cuda_program = decode_program(j.at("cuda_program"));
    r.evict_activations = j.value("evict_activations", false);
    if (j.contains("weight_inputs")) r.weight_inputs = j.at("weight_inputs").get<std::vector<int>>();
    if (j.contains("packs"))
      for (const json& p : j.at("packs"))
        r.packs.push_back({p.at("input").get<int>(), p.at("function").get<std::string>()});
    return r;
  } catch (const json::exception& e) {
    fail("malformed request from the measurement channel: {}", e.what());
  }
}

std::string encode_reply(const Reply& r) {
  json j = {{"error", measure_error_name(r.error)}, {"message", r.message}, {"costs", r.costs},
            {"restart", r.restart}};
  // dump() would throw on invalid UTF-8 in a message (a compiler or dlerror text
  // could carry any bytes); replace such bytes instead.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Reply decode_reply(const std::string& line) {
  json j = parse_line(line, "reply");
  try {
    Reply r;
    r.error = measure_error_from_name(j.at("error").get<std::string>());
    r.message = j.at("message").get<std::string>();
    r.costs = j.at("costs").get<std::vector<double>>();
    r.restart = j.at("restart").get<bool>();
    return r;
  } catch (const json::exception& e) {
    fail("malformed reply from the measurement channel: {}", e.what());
  }
}

std::string encode_ready() { return json{{"ready", true}}.dump(); }

std::string encode_fatal(const std::string& message) {
  return json{{"fatal", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool decode_handshake(const std::string& line) {
  json j = parse_line(line, "handshake");
  if (j.contains("fatal")) fail("{}", j["fatal"].is_string() ? j["fatal"].get<std::string>() : "?");
  return j.value("ready", false);
}

// ---- data file: little-endian host layout, same machine on both ends ----------

namespace {

constexpr char kMagic[8] = {'B', 'C', 'D', 'M', 'E', 'A', 'S', '2'};

void write_all(int fd, const void* data, size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t n = ::write(fd, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write measurement data: {}", std::strerror(errno));
    p += n;
    bytes -= static_cast<size_t>(n);
  }
}

void write_u64(int fd, uint64_t v) { write_all(fd, &v, sizeof v); }

void write_shape(int fd, const std::vector<int64_t>& shape) {
  write_u64(fd, shape.size());
  write_all(fd, shape.data(), shape.size() * sizeof(int64_t));
}

// Bounds-checked reader over the loaded bytes.
struct Cursor {
  const std::string& bytes;
  size_t pos = 0;
  void read(void* out, size_t n) {
    if (n > bytes.size() - pos) fail("truncated measurement data");
    std::memcpy(out, bytes.data() + pos, n);
    pos += n;
  }
  uint64_t u64() {
    uint64_t v;
    read(&v, sizeof v);
    return v;
  }
  std::vector<int64_t> shape() {
    uint64_t rank = u64();
    if (rank > 64) fail("corrupt measurement data (rank {})", rank);
    std::vector<int64_t> s(rank);
    read(s.data(), rank * sizeof(int64_t));
    return s;
  }
  NDArray array(const std::vector<int64_t>& shape) {
    NDArray a(shape);
    read(a.data(), static_cast<size_t>(a.size()) * sizeof(float));
    return a;
  }
};

}  // namespace

void write_data(int fd, const RunSpec& spec, bool with_expected, bool prepare_cuda) {
  write_all(fd, kMagic, sizeof kMagic);
  write_u64(fd, prepare_cuda ? 1 : 0);
  write_u64(fd, spec.inputs.size());
  for (const NDArray& a : spec.inputs) {
    write_shape(fd, a.shape());
    write_all(fd, a.data(), static_cast<size_t>(a.size()) * sizeof(float));
  }
  write_u64(fd, spec.output_shapes.size());
  for (size_t i = 0; i < spec.output_shapes.size(); ++i) {
    write_shape(fd, spec.output_shapes[i]);
    uint64_t has = with_expected ? 1 : 0;
    write_u64(fd, has);
    if (has) {
      const NDArray& e = spec.expected.at(i);
      write_all(fd, e.data(), static_cast<size_t>(e.size()) * sizeof(float));
    }
  }
}

Data read_data(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) fail("cannot stat measurement data: {}", std::strerror(errno));
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot read measurement data: {}", n < 0 ? std::strerror(errno) : "short file");
    done += static_cast<size_t>(n);
  }
  Cursor c{bytes};
  char magic[8];
  c.read(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof magic) != 0) fail("measurement data has a bad header");
  Data d;
  d.prepare_cuda = c.u64() != 0;
  uint64_t n_inputs = c.u64();
  for (uint64_t i = 0; i < n_inputs; ++i) d.inputs.push_back(c.array(c.shape()));
  uint64_t n_outputs = c.u64();
  for (uint64_t i = 0; i < n_outputs; ++i) {
    d.output_shapes.push_back(c.shape());
    if (c.u64()) d.expected.push_back(c.array(d.output_shapes.back()));
  }
  if (!d.expected.empty() && d.expected.size() != d.output_shapes.size())
    fail("measurement data has expected values for only some outputs");
  if (c.pos != bytes.size()) fail("measurement data has trailing bytes");
  return d;
}

// ---- locating the worker executable ----------------------------------------------

namespace {

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

std::string locate_worker() {
  if (const char* env = std::getenv("BCD_WORKER"); env && *env) {
    if (!is_executable(env)) fail("BCD_WORKER={} is not an executable file", env);
    return env;
  }
  std::vector<std::string> looked;
  // Next to the running program first: a copied or installed bcd keeps its worker
  // beside it, while the build path below may no longer exist there.
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path beside = self.parent_path() / "bcd-worker";
    if (is_executable(beside)) return beside.string();
    looked.push_back(beside.string());
  }
#ifdef BCD_WORKER_PATH
  if (is_executable(BCD_WORKER_PATH)) return BCD_WORKER_PATH;
  looked.push_back(BCD_WORKER_PATH);
#endif
  std::string where;
  for (const auto& l : looked) where += (where.empty() ? "" : ", ") + l;
  fail("cannot find the measurement worker bcd-worker (looked at {}); build it or set BCD_WORKER",
       where.empty() ? "nothing" : where);
}

}  // namespace bcd::runtime::worker
