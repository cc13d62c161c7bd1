#include "storage/dicom_records.hpp"

#include "storage/keyspace.hpp"

namespace atrium::storage {

namespace {

constexpr char format = 1;

/// Reads big-endian numbers and length-prefixed strings off a byte view;
/// any read past the end marks it failed.
class reader {
public:
  explicit reader(std::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  std::string_view rest() const { return ok_ ? b_.substr(pos_) : std::string_view{}; }
  std::uint64_t u64() { return take(8) ? keys::read_u64(b_.data() + pos_ - 8) : 0; }
  std::int64_t i64() { return take(8) ? keys::read_i64(b_.data() + pos_ - 8) : 0; }
  std::uint32_t u32() { return take(4) ? keys::read_u32(b_.data() + pos_ - 4) : 0; }
  std::uint8_t u8() { return take(1) ? static_cast<std::uint8_t>(b_[pos_ - 1]) : 0; }
  std::string str() {
    auto n = take(2) ? keys::read_u16(b_.data() + pos_ - 2) : 0;
    return take(n) ? std::string{b_.substr(pos_ - n, n)} : std::string{};
  }

private:
  bool take(std::size_t n) {
    if (!ok_ || b_.size() - pos_ < n)
      return ok_ = false;
    pos_ += n;
    return true;
  }
  std::string_view b_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void append_str(std::string& out, std::string_view s) {
  keys::append_u16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}

} // namespace

std::string encode(const dicom_instance_record& r) {
  std::string out;
  out.reserve(64 + r.file.size() + r.transfer_syntax.size() + r.sop_class_uid.size() + r.dataset.size());
  out.push_back(format);
  keys::append_u64(out, r.sequence);
  keys::append_i64(out, r.stored_micros);
  keys::append_u64(out, r.size);
  keys::append_u32(out, r.frames);
  append_str(out, r.file);
  append_str(out, r.transfer_syntax);
  append_str(out, r.sop_class_uid);
  out.append(r.dataset);
  return out;
}

std::optional<dicom_instance_record> decode_dicom_instance(std::string_view bytes) {
  reader in{bytes};
  if (in.u8() != format)
    return std::nullopt;
  dicom_instance_record r;
  r.sequence = in.u64();
  r.stored_micros = in.i64();
  r.size = in.u64();
  r.frames = in.u32();
  r.file = in.str();
  r.transfer_syntax = in.str();
  r.sop_class_uid = in.str();
  if (!in.ok())
    return std::nullopt;
  r.dataset = std::string{in.rest()};
  return r;
}

std::string encode(const dicom_group_record& r) {
  std::string out;
  out.push_back(format);
  keys::append_u64(out, r.last_sequence);
  keys::append_u32(out, r.instances);
  keys::append_u32(out, r.series);
  append_str(out, r.modalities);
  out.append(r.attributes);
  return out;
}

std::optional<dicom_group_record> decode_dicom_group(std::string_view bytes) {
  reader in{bytes};
  if (in.u8() != format)
    return std::nullopt;
  dicom_group_record r;
  r.last_sequence = in.u64();
  r.instances = in.u32();
  r.series = in.u32();
  r.modalities = in.str();
  if (!in.ok())
    return std::nullopt;
  r.attributes = std::string{in.rest()};
  return r;
}

const char* to_string(dicom_action a) noexcept {
  switch (a) {
    case dicom_action::create: return "create";
    case dicom_action::remove: return "delete";
    case dicom_action::update: return "update";
  }
  return "unknown";
}

std::string encode(const dicom_change_record& r) {
  std::string out;
  out.push_back(format);
  out.push_back(static_cast<char>(r.action));
  keys::append_i64(out, r.micros);
  append_str(out, r.study);
  append_str(out, r.series);
  append_str(out, r.sop);
  return out;
}

std::optional<dicom_change_record> decode_dicom_change(std::string_view bytes) {
  reader in{bytes};
  if (in.u8() != format)
    return std::nullopt;
  dicom_change_record r;
  auto action = in.u8();
  if (action < 1 || action > 3)
    return std::nullopt;
  r.action = static_cast<dicom_action>(action);
  r.micros = in.i64();
  r.study = in.str();
  r.series = in.str();
  r.sop = in.str();
  if (!in.ok())
    return std::nullopt;
  return r;
}

} // namespace atrium::storage
