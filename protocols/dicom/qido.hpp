#pragma once
// QIDO-RS queries: the parameters parsed and checked, and how a value
// matches (Azure's exact, range and fuzzy person-name matching, and beyond
// Azure the DICOM wildcards * and ?).
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/dicom/levels.hpp"
#include "protocols/dicom/query_tags.hpp"
#include "protocols/http/query.hpp"

namespace atrium::dicom {

struct match_term {
  const known_attribute* attribute = nullptr;
  std::string value; // as the client wrote it
};

struct qido_query {
  dicom::level level = dicom::level::study;
  std::vector<match_term> terms;
  bool include_all = false;
  std::vector<dicom::tag> include; // includefield tags beyond the defaults
  std::size_t limit = 100;         // 1-200
  std::size_t offset = 0;
  bool fuzzy = false;              // fuzzymatching=true
  bool v1 = false;                 // asked under /v1/: v1's default attributes
  /// The extended query tags the terms may point to (owned here: moving
  /// the vector keeps the elements where they are).
  std::vector<known_attribute> extended;
};

/// Checks the parameters of a query at `level`: known searchable
/// attributes of that level or above, but below `fixed` (the study or
/// series the path names: studies/{study}/series takes no study
/// attributes); includefield (tags, any dictionary keyword, all), limit
/// 1-200, offset, fuzzymatching (names compared without case, as ASP.NET
/// binds them); and the service's ready extended query tags whose queries
/// are enabled (by tag, or
/// by keyword for known attributes), which must outlive the query. Dates
/// (DA) must be YYYYMMDD, ranges in order. errc::invalid names what is
/// wrong.
result<qido_query> parse_qido(const http::query_params& params, dicom::level level,
                              std::span<const query_tag> extended = {},
                              std::optional<dicom::level> fixed = std::nullopt);

/// Whether an attribute's value (its first value as text; for
/// ModalitiesInStudy the '\\'-separated list) matches the term.
bool matches(const match_term& term, std::string_view value, bool fuzzy);

/// The attributes of a DICOM JSON object (as the store keeps it), each with
/// its minified value object. Empty on malformed JSON.
std::vector<attribute> parse_dataset(std::string_view json);

} // namespace atrium::dicom
