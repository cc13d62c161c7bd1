#pragma once
#include "actors/actors.hpp"

namespace atrium::storage { class store; }

namespace atrium::actors {

/// Group commit: requests that arrive while a batch is being synced are
/// merged into the next batch, so one fsync acknowledges many writes. The
/// WAL sync blocks the thread it runs on: spawn it detached, or on the
/// scheduler only where other threads stay free of writers
/// (runtime/node.cpp).
struct storage_writer_state {
  static inline const char* name = "storage_writer";
  storage::store* db = nullptr;
  std::vector<storage::write_op> batch;
  std::vector<caf::typed_response_promise<write_ack>> waiting;
  bool flush_scheduled = false;
};

storage_writer_actor::behavior_type
storage_writer(storage_writer_actor::stateful_pointer<storage_writer_state> self,
               storage::store* db);

} // namespace atrium::actors
