#include "actors/storage_writer.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "storage/store.hpp"

namespace atrium::actors {

storage_writer_actor::behavior_type
storage_writer(storage_writer_actor::stateful_pointer<storage_writer_state> self,
               storage::store* db) {
  self->state.db = db;
  return {
    [=](write_request& req) -> caf::typed_response_promise<write_ack> {
      auto& st = self->state;
      if (st.batch.empty())
        st.batch = std::move(req.ops);
      else
        std::move(req.ops.begin(), req.ops.end(), std::back_inserter(st.batch));
      auto rp = self->make_response_promise<write_ack>();
      st.waiting.push_back(rp);
      // The flush message queues behind every write already in the mailbox,
      // so they all join this batch.
      if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->send(caf::actor_cast<storage_writer_actor>(self), flush_atom::value);
      }
      return rp;
    },
    [=](flush_atom) {
      auto& st = self->state;
      st.flush_scheduled = false;
      auto result = st.db->write(st.batch, /*sync=*/true);
      write_ack ack{reply_status::from(result)};
      for (auto& rp : st.waiting)
        rp.deliver(ack);
      st.batch.clear();
      st.waiting.clear();
    },
  };
}

} // namespace atrium::actors
