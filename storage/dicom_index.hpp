#pragma once
// The study-level QIDO index (keyspace.hpp, 'X' keys): which attributes are
// indexed, how values are normalised, and a study record's entries. The
// study partition keeps the entries in step with the record, in the same
// batch.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/dicom_records.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::storage {

/// Whether QIDO can look `tag` up in the index (PatientID, PatientName,
/// PatientBirthDate, AccessionNumber, StudyDate, ModalitiesInStudy).
bool dicom_indexed(std::uint32_t tag) noexcept;

/// Values compare without case or Latin accents: accented letters spelled
/// in ASCII, then ASCII upper-cased ("Müller" → "MULLER"). ASCII values
/// keep the form earlier builds indexed them by.
std::string dicom_index_value(std::string_view value);

/// The form of the store's DICOM indexes: 1 upper-cased ASCII values only,
/// 2 Latin accents spelled in ASCII first, 3 (this build's) extended query
/// tag errors also kept tag first ('e' keys).
inline constexpr std::uint32_t dicom_index_form = 3;

/// Brings a store's DICOM indexes to this build's form, once (meta "Y"
/// records it): below 2, an 'X' key whose value has bytes beyond ASCII gets
/// its value re-formed (ASCII values are the same in both forms); below 3,
/// each tag error ('E') gets its tag-first twin. Returns how many keys it
/// moved or added.
result<std::size_t> upgrade_dicom_index(store& db);

/// An extended query tag error is kept under two keys (keyspace.hpp):
/// instance first and tag first. These write or delete both, in `ops`.
void put_tag_error(std::vector<write_op>& ops, service_id svc, const keys::dicom_tag_error_key& at,
                   std::string json);
void erase_tag_error(std::vector<write_op>& ops, service_id svc,
                     const keys::dicom_tag_error_key& at);

/// Every index key of a study record, sorted.
std::vector<std::string> dicom_index_keys(service_id svc, std::string_view study,
                                          const dicom_group_record& record);

} // namespace atrium::storage
