#pragma once
// One Atrium node: its store, actor system, directory and edge, started and
// stopped in order. Shutdown order is part of the design: stop accepting,
// drain, stop the actors (writers last, after their final batch), close the
// store.
#include <cstdint>
#include <memory>

#include "protocols/common/status.hpp"
#include "runtime/config.hpp"

namespace atrium::actors { class request_log; }

namespace atrium::runtime {

class node {
public:
  static result<std::unique_ptr<node>> start(const node_config& cfg,
                                             actors::request_log& log);
  ~node();

  std::uint16_t port() const;
  void stop();

  struct impl;

private:
  explicit node(std::unique_ptr<impl> d);
  std::unique_ptr<impl> impl_;
};

} // namespace atrium::runtime
