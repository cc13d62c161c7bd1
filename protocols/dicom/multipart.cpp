#include "protocols/dicom/multipart.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <utility>

#include "protocols/http/query.hpp"

namespace atrium::dicom {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Splits at `sep` outside double quotes.
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"')
      quoted = !quoted;
    else if (s[i] == '\\' && quoted)
      ++i;
    else if (s[i] == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"')
    return std::string{v};
  std::string out;
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size())
      ++i;
    out.push_back(v[i]);
  }
  return out;
}

} // namespace

std::optional<std::string_view> media_type::param(std::string_view name) const {
  for (auto& [k, v] : params)
    if (k == name)
      return std::string_view{v};
  return std::nullopt;
}

std::optional<media_type> parse_media_type(std::string_view text) {
  auto pieces = split_unquoted(text, ';');
  media_type m;
  m.type = lower(trim(pieces[0]));
  auto slash = m.type.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == m.type.size() ||
      m.type.find_first_of(" \t\"") != std::string::npos)
    return std::nullopt;
  for (std::size_t i = 1; i < pieces.size(); ++i) {
    auto p = trim(pieces[i]);
    if (p.empty())
      continue;
    auto eq = p.find('=');
    if (eq == std::string_view::npos)
      return std::nullopt;
    auto name = lower(trim(p.substr(0, eq)));
    auto value = unquote(trim(p.substr(eq + 1)));
    if (name == "q") {
      double q = 1.0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
      if (ec == std::errc{} && ptr == value.data() + value.size() && q >= 0 && q <= 1)
        m.q = q;
      continue;
    }
    // `type` names a media type, which is case-insensitive (RFC 2387);
    // other values (a boundary) are kept as sent.
    if (name == "type")
      value = lower(value);
    m.params.emplace_back(std::move(name), std::move(value));
  }
  return m;
}

std::vector<media_type> parse_accept(std::string_view text) {
  std::vector<media_type> out;
  for (auto item : split_unquoted(text, ','))
    if (!trim(item).empty())
      if (auto m = parse_media_type(item))
        out.push_back(std::move(*m));
  std::stable_sort(out.begin(), out.end(),
                   [](const media_type& a, const media_type& b) { return a.q > b.q; });
  return out;
}

namespace {

/// The first offset at or after `from` where `needle` starts, or npos.
std::uint64_t find_in(const body_reader& read, std::string_view needle, std::uint64_t from) {
  for (;;) {
    auto view = read(from, needle.size());
    if (view.size() < needle.size())
      return std::string_view::npos;
    // memmem, not string_view::find: find checks every byte equal to the
    // needle's first ('\r', common in pixel data) with a memcmp, which
    // took ~10% of STOW's CPU; glibc's memmem skips by pairs of bytes.
    if (auto* at = ::memmem(view.data(), view.size(), needle.data(), needle.size()))
      return from + static_cast<std::uint64_t>(static_cast<const char*>(at) - view.data());
    from += view.size() - needle.size() + 1; // a match may straddle the next window
  }
}

constexpr std::size_t max_part_headers = 64 * 1024;

} // namespace

result<std::vector<part_extent>> locate_parts(std::string_view boundary, const body_reader& read) {
  if (boundary.empty() || boundary.size() > 200)
    return status{errc::invalid, "the multipart boundary is empty or longer than 200 characters"};
  const std::string delimiter = "--" + std::string{boundary};
  const std::string next_delimiter = "\r\n" + delimiter;
  auto peek = [&](std::uint64_t at, std::size_t n) { return read(at, n).substr(0, n); };
  // The first delimiter may open the body or follow a preamble line.
  std::uint64_t pos = peek(0, delimiter.size()) == delimiter ? 0 : find_in(read, next_delimiter, 0);
  if (pos == std::string_view::npos)
    return status{errc::invalid, "the body has no multipart boundary '" + std::string{boundary} + "'"};
  if (pos != 0)
    pos += 2;
  std::vector<part_extent> parts;
  for (;;) {
    pos += delimiter.size();
    if (peek(pos, 2) == "--")
      return parts; // the closing delimiter
    // Transport padding, then the line break ending the delimiter line.
    for (auto c = peek(pos, 1); c == " " || c == "\t"; c = peek(pos, 1))
      ++pos;
    if (peek(pos, 2) != "\r\n")
      return status{errc::invalid, "a multipart boundary line does not end in CRLF"};
    pos += 2;
    auto end = find_in(read, next_delimiter, pos);
    if (end == std::string_view::npos)
      return status{errc::invalid, "the multipart body ends without its closing boundary"};
    // Headers end at the first empty line; a part may have none.
    auto head = peek(pos, static_cast<std::size_t>(std::min<std::uint64_t>(end - pos, max_part_headers)));
    std::size_t header_end = head.substr(0, 2) == "\r\n" ? 0 : head.find("\r\n\r\n");
    if (header_end == std::string_view::npos)
      return status{errc::invalid, "a multipart part has no blank line after its headers (within " +
                                     std::to_string(max_part_headers / 1024) + " KiB)"};
    part_extent p;
    auto headers = head.substr(0, header_end);
    while (!headers.empty()) {
      auto eol = headers.find("\r\n");
      auto line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
      auto colon = line.find(':');
      if (colon != std::string_view::npos && http::equals_nocase(trim(line.substr(0, colon)), "content-type"))
        p.content_type = trim(line.substr(colon + 1));
    }
    p.offset = pos + header_end + (header_end == 0 ? 2 : 4);
    p.length = end - p.offset;
    parts.push_back(std::move(p));
    pos = end + 2;
  }
}

result<std::vector<part>> parse_multipart(std::string_view body, std::string_view boundary) {
  auto extents = locate_parts(boundary, [body](std::uint64_t offset, std::size_t) {
    return offset < body.size() ? body.substr(offset) : std::string_view{};
  });
  if (!extents)
    return extents.error();
  std::vector<part> parts;
  parts.reserve(extents->size());
  for (auto& e : *extents)
    parts.push_back({std::move(e.content_type), body.substr(e.offset, e.length)});
  return parts;
}

multipart_writer::multipart_writer() {
  // Unique per body and never inside a part in practice: a DICOM file
  // would have to contain this exact 40-odd byte line.
  static std::atomic<std::uint64_t> counter{0};
  auto n = counter.fetch_add(1, std::memory_order_relaxed);
  auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  boundary_ = "atrium-" + std::to_string(t) + "-" + std::to_string(n);
}

void multipart_writer::add(std::string_view content_type, std::string_view body) {
  begin(content_type, body.size()) += body;
}

std::string& multipart_writer::begin(std::string_view content_type, std::size_t size_hint) {
  close_part();
  const auto need = out_.size() + size_hint + boundary_.size() + content_type.size() + 64;
  if (need > out_.capacity()) // grow geometrically: parts are appended one by one
    out_.reserve(std::max(need, out_.capacity() * 2));
  out_ += opening(content_type);
  open_ = true;
  return out_;
}

std::string multipart_writer::opening(std::string_view content_type) const {
  std::string out = "--" + boundary_ + "\r\nContent-Type: ";
  out += content_type;
  return out + "\r\n\r\n";
}

std::string multipart_writer::closing() const { return "--" + boundary_ + "--\r\n"; }

void multipart_writer::close_part() {
  if (std::exchange(open_, false))
    out_ += "\r\n";
}

std::string multipart_writer::finish() {
  close_part();
  out_ += closing();
  return std::move(out_);
}

} // namespace atrium::dicom
