// atrium-stow-stream: one STOW-RS request of many instances, streamed from
// memory as it is generated (the client holds one instance at a time), to
// show how a node stores a body of gigabytes: throughput, and the server's
// peak RSS read from /proc when its pid is given.
//
//   atrium-stow-stream --port P [--host H] [--path /default/dicom/v2/studies]
//                      [--instances N] [--server-pid PID]
//
// Instances are 512x512 16-bit CT images (512 KiB), in series of 20 of one
// study; their SOP Instance UIDs differ by a counter patched into a
// generated template.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tools/dicomgen/dicom_files.hpp"

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/default/dicom/v2/studies";
  long instances = 4000;
  long server_pid = 0;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::stoi(v);
    else if (k == "--path") o.path = v;
    else if (k == "--instances") o.instances = std::stol(v);
    else if (k == "--server-pid") o.server_pid = std::stol(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  return o;
}

long peak_rss_mib(long pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6)) / 1024;
  return -1;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error(std::string{"send: "} + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

} // namespace

int main(int argc, char** argv) try {
  const auto o = parse(argc, argv);
  // Fixed-width counters so that every instance has the template's length.
  const std::string run = std::to_string(::time(nullptr));
  const std::string study = "1.2.826.0.1.3680043.10.3." + run;
  const std::string counter(9, '0');
  atrium::dicomgen::dicom_spec spec;
  spec.study_uid = study;
  spec.series_uid = study + ".S" + counter;
  spec.sop_uid = study + ".I" + counter;
  spec.rows = spec.columns = 512;
  const auto templ = atrium::dicomgen::make_dicom(spec);
  // Where the counters are: each UID appears in the dataset, the SOP
  // Instance UID also in the file meta.
  std::vector<std::size_t> series_at, sop_at;
  for (auto [uid, at] : {std::pair{spec.series_uid, &series_at}, {spec.sop_uid, &sop_at}})
    for (auto p = templ.find(uid); p != std::string::npos; p = templ.find(uid, p + 1))
      at->push_back(p + uid.size() - counter.size());

  const std::string boundary = "atrium-stow-stream-" + run;
  const std::string part_head = "--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n";
  const std::string close = "--" + boundary + "--\r\n";
  const std::uint64_t length =
    static_cast<std::uint64_t>(o.instances) * (part_head.size() + templ.size() + 2) + close.size();

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  ::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error(std::string{"connect: "} + std::strerror(errno));
  const auto start = std::chrono::steady_clock::now();
  send_all(fd, "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host +
                 "\r\nAccept: application/dicom+json\r\nContent-Type: multipart/related; "
                 "type=\"application/dicom\"; boundary=" + boundary +
                 "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n");
  std::string instance = templ;
  char digits[32];
  for (long i = 0; i < o.instances; ++i) {
    std::snprintf(digits, sizeof digits, "%09ld", i / 20);
    for (auto at : series_at)
      instance.replace(at, counter.size(), digits);
    std::snprintf(digits, sizeof digits, "%09ld", i);
    for (auto at : sop_at)
      instance.replace(at, counter.size(), digits);
    send_all(fd, part_head);
    send_all(fd, instance);
    send_all(fd, "\r\n");
  }
  send_all(fd, close);
  const auto sent = std::chrono::steady_clock::now();
  std::string answer;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    answer.append(buf, static_cast<std::size_t>(n));
    auto head_end = answer.find("\r\n\r\n");
    auto cl = answer.find("Content-Length: ");
    if (head_end != std::string::npos && cl != std::string::npos &&
        answer.size() >= head_end + 4 + std::stoul(answer.substr(cl + 16)))
      break;
  }
  const auto done = std::chrono::steady_clock::now();
  ::close(fd);
  const double seconds = std::chrono::duration<double>(done - start).count();
  std::size_t stored = 0;
  for (auto p = answer.find("\"00081190\""); p != std::string::npos; p = answer.find("\"00081190\"", p + 1))
    ++stored;
  std::printf("status line:      %s\n", answer.substr(0, answer.find("\r\n")).c_str());
  std::printf("instances:        %ld sent, %zu stored (%.1f MiB body)\n", o.instances, stored,
              static_cast<double>(length) / (1 << 20));
  std::printf("elapsed:          %.2f s (body sent after %.2f s)\n", seconds,
              std::chrono::duration<double>(sent - start).count());
  std::printf("throughput:       %.0f instances/s, %.0f MiB/s\n", o.instances / seconds,
              static_cast<double>(length) / (1 << 20) / seconds);
  if (o.server_pid > 0)
    std::printf("server peak RSS:  %ld MiB (VmHWM)\n", peak_rss_mib(o.server_pid));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "atrium-stow-stream: %s\n", e.what());
  return 1;
}
