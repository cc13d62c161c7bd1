#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/actors.hpp"
#include "storage/dicom_records.hpp"

namespace atrium::actors {

struct node_context;

/// One partition of a DICOM service's studies: owns the studies whose UID
/// hashes to it (hash(study UID) mod P, like FHIR partitions) and serialises
/// their writes, so duplicate checks and the study and series records (counts,
/// latest attributes) need no locks. Reads go straight to the store.
struct study_partition_state {
  static inline const char* name = "dicom_study_partition";

  /// A study or series record with writes in flight: the next write of the
  /// same study builds on it, not on the store.
  struct pending_record {
    storage::dicom_group_record record;
    std::uint32_t count = 0;
  };
  /// What is in flight for one study; a delete runs alone.
  struct study_writes {
    std::uint32_t stores = 0;
    bool removing = false;
    std::vector<std::function<void()>> waiting; // in arrival order
  };

  node_context* ctx = nullptr;
  std::uint32_t service = 0;
  std::unordered_map<std::string, pending_record> records; // by study/series key
  /// Instances with writes in flight, by key: how many, and the file of the
  /// last one (what an upsert right behind it replaces).
  struct pending_instance {
    std::uint32_t count = 0;
    std::string file;
  };
  std::unordered_map<std::string, pending_instance> instances;
  std::unordered_map<std::string, study_writes> studies;    // by study UID
};

dicom_actor::behavior_type
dicom_study_partition_actor(dicom_actor::stateful_pointer<study_partition_state> self,
                            node_context* ctx, std::uint32_t service);

} // namespace atrium::actors
