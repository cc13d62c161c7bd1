// normalize_text (declared in extract.hpp): the case- and accent-insensitive
// form in which string search parameters are indexed and queried.
#include <array>
#include <cstdint>

#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/search/extract.hpp"

namespace atrium::fhir::search {

namespace {

// ASCII spellings of U+00C0 … U+017F, lower case; "" = punctuation (× ÷).
// clang-format off
constexpr const char* latin_fold[] = {
    // U+00C0 À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    // U+00D0 Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    // U+00E0 à á â ã ä å æ ç è é ê ë ì í î ï
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    // U+00F0 ð ñ ò ó ô õ ö ÷ ø ù ú û ü ý þ ÿ
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    // U+0100 Ā ā Ă ă Ą ą Ć ć Ĉ ĉ Ċ ċ Č č Ď ď
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    // U+0110 Đ đ Ē ē Ĕ ĕ Ė ė Ę ę Ě ě Ĝ ĝ Ğ ğ
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    // U+0120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ Ĩ ĩ Ī ī Ĭ ĭ Į į
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    // U+0130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    // U+0140 ŀ Ł ł Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ Ō ō Ŏ ŏ
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    // U+0150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ Ř ř Ś ś Ŝ ŝ Ş ş
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    // U+0160 Š š Ţ ţ Ť ť Ŧ ŧ Ũ ũ Ū ū Ŭ ŭ Ů ů
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    // U+0170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ Ÿ Ź ź Ż ż Ž ž ſ
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};
// clang-format on
static_assert(sizeof(latin_fold) / sizeof(latin_fold[0]) == 0x180 - 0xC0);

// Decodes one code point at s[i]; returns false (and the byte count to skip)
// for malformed UTF-8.
bool decode(std::string_view s, std::size_t i, char32_t& cp, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    len = 1;
    return true;
  }
  // Sequence length, payload bits of the lead byte, smallest code point it
  // may encode (longer forms are overlong, hence malformed).
  std::size_t n = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    len = 1;
    return false;
  }
  if (i + n > s.size()) {
    len = 1;
    return false;
  }
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      len = k;
      return false;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  len = n;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  return true;
}

// Lower case for the scripts where it is a fixed offset (Greek, Cyrillic);
// other code points stay as they are.
char32_t simple_lower(char32_t cp) {
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20; // Α … Ω
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                // А … Я
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;                // Ѐ … Џ
  return cp;
}

/// Each ASCII character as normalize_text writes it: letters lower-cased,
/// digits kept, 0 for the rest (the separators).
constexpr std::array<char, 128> ascii_word_chars = [] {
  std::array<char, 128> table{};
  for (int c = 0; c < 128; ++c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) table[c] = static_cast<char>(c);
    else if (c >= 'A' && c <= 'Z') table[c] = static_cast<char>(c + 32);
  }
  return table;
}();

bool is_separator(char32_t cp) {
  if (cp < 0x80) return ascii_word_chars[cp] == 0;
  if (cp < 0xA0) return true;   // C1 controls
  if (cp >= 0xA0 && cp <= 0xBF) // NBSP, ¡ « » ¿ § · …, but not ª º ¹ ² ³ µ ¼ ½ ¾
    return !(cp == 0xAA || cp == 0xBA || cp == 0xB2 || cp == 0xB3 || cp == 0xB9 || cp == 0xB5 ||
             (cp >= 0xBC && cp <= 0xBE));
  if (cp == 0xD7 || cp == 0xF7) return true;     // × ÷
  if (cp >= 0x2000 && cp <= 0x206F) return true; // general punctuation, spaces, dashes, quotes
  if (cp >= 0x3000 && cp <= 0x3003) return true; // ideographic space and punctuation
  if (cp == 0xFEFF) return true;
  return false;
}

} // namespace

std::string fold_latin(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    std::size_t len = 1;
    if (decode(s, i, cp, len) && cp >= 0xC0 && cp < 0x180)
      out.append(latin_fold[cp - 0xC0]);
    else
      out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

std::string normalize_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  auto start_piece = [&] {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
  };
  for (std::size_t i = 0; i < s.size();) {
    // ASCII, most of any text, by table: no decoding, no separator tests.
    if (const auto byte = static_cast<unsigned char>(s[i]); byte < 0x80) {
      ++i;
      const char c = ascii_word_chars[byte];
      if (c == 0) {
        pending_space = true;
        continue;
      }
      start_piece();
      out.push_back(c);
      continue;
    }
    char32_t cp = 0;
    std::size_t len = 1;
    const bool ok = decode(s, i, cp, len);
    i += len;
    if (!ok) {
      pending_space = true; // malformed bytes separate words rather than join them
      continue;
    }
    if (cp >= 0x300 && cp <= 0x36F) continue; // combining accents (decomposed "é")
    if (is_separator(cp)) {
      pending_space = true;
      continue;
    }
    if (cp >= 0xC0 && cp < 0x180) {
      start_piece();
      out.append(latin_fold[cp - 0xC0]);
      continue;
    }
    switch (cp) {
    case 0xAA:
      start_piece();
      out.push_back('a');
      continue; // ª
    case 0xBA:
      start_piece();
      out.push_back('o');
      continue; // º
    case 0xB9:
      start_piece();
      out.push_back('1');
      continue; // ¹
    case 0xB2:
      start_piece();
      out.push_back('2');
      continue; // ²
    case 0xB3:
      start_piece();
      out.push_back('3');
      continue; // ³
    default: break;
    }
    start_piece();
    append_utf8(out, simple_lower(cp));
  }
  return out;
}

} // namespace atrium::fhir::search
