#include "runtime/node.hpp"

#include <set>
#include <filesystem>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/directory.hpp"
#include "actors/edge/http_server.hpp"
#include "actors/work_pool.hpp"
#include "storage/dicom_index.hpp"
#include "storage/file_store.hpp"
#include "actors/edge/router.hpp"
#include "actors/fhir/search_worker.hpp"
#include "actors/gateway.hpp"
#include "actors/management.hpp"
#include "actors/dicom/change_sequences.hpp"
#include "actors/dicom/fhir_mirror.hpp"
#include "actors/dicom/query_tag_registry.hpp"
#include "actors/fhir/criteria_cache.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/node_context.hpp"
#include "actors/request_log.hpp"
#include "actors/storage_writer.hpp"
#include "actors/type_registry.hpp"
#include "protocols/fhir/structure.hpp"
#include "protocols/mgmt/resources.hpp"
#include "storage/index_keys.hpp"
#include "storage/index_upgrade.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::runtime {

using namespace atrium::actors;
namespace keys = storage::keys;

namespace {

constexpr auto startup_timeout = std::chrono::seconds(30);

caf::actor_system_config make_actor_config(const node_config& cfg) {
  caf::actor_system_config c;
  register_message_types(c);
  c.set("scheduler.max-threads", static_cast<std::size_t>(actor_scheduler_threads(cfg)));
  // An actor yields its thread after this many messages, so one busy shard
  // cannot starve the others.
  c.set("scheduler.max-throughput", std::size_t{300});
  c.set("scheduler.policy", caf::atom_from_string(cfg.scheduler_policy));
  return c;
}

/// Service ids are never reused: continue after the persisted counter and
/// after every id in use (two workspaces may persist the counter out of order).
std::uint32_t first_free_service_id(const storage::store& db) {
  std::uint32_t next = 1;
  std::string bytes;
  if (db.get(storage::column::meta, keys::next_service_id(), &bytes).is_ok() && bytes.size() == 4)
    next = std::max(next, keys::read_u32(bytes.data()));
  auto cur = db.scan(storage::column::meta, "S", keys::prefix_end("S"));
  for (; cur.valid(); cur.next()) {
    auto value = cur.value();
    if (value.size() < 2)
      continue;
    if (auto rec = mgmt::parse_stored(value.substr(1)))
      next = std::max(next, rec->service_id + 1);
  }
  return next;
}

} // namespace

struct node::impl {
  node_config cfg;
  request_log& log;
  std::unique_ptr<storage::store> db;
  caf::actor_system_config actor_cfg;
  std::unique_ptr<caf::actor_system> system;
  node_context ctx;
  std::unique_ptr<param_catalog> params;
  std::unique_ptr<criteria_cache> criteria;
  std::unique_ptr<change_sequences> sequences;
  std::unique_ptr<query_tag_registry> query_tags;
  std::unique_ptr<directory> dir;
  edge_context edge;
  std::unique_ptr<storage::file_store> files;
  std::unique_ptr<work_pool> work;
  std::unique_ptr<work_pool> ingest;
  std::unique_ptr<http_server> server;
  std::unique_ptr<fhir_mirror> mirror;
  bool stopped = false;

  impl(const node_config& c, request_log& l) : cfg(c), log(l), actor_cfg(make_actor_config(c)) {}

  /// Sends a management request and waits (start-up only: never on an io
  /// or scheduler thread).
  result<mgmt_reply> ask(const mgmt_request& req) {
    caf::scoped_actor self{*system};
    result<mgmt_reply> out = status{errc::timeout, "no answer"};
    self->request(edge.catalog, startup_timeout, req)
      .receive([&](mgmt_reply& r) { out = std::move(r); },
               [&](caf::error& e) {
                 out = status{errc::internal, "catalog failed: " + system->render(e)};
               });
    return out;
  }

  status put(mgmt_op op, std::string ws, service_kind kind = {}, std::string name = {}) {
    mgmt_request req;
    req.op = op;
    req.workspace = std::move(ws);
    req.kind = kind;
    req.name = std::move(name);
    auto r = ask(req);
    if (!r)
      return r.error();
    if (!r->status.ok())
      return r->status.to_status();
    return status::ok();
  }

  /// The embedded default, created once: deleting it later is respected.
  status bootstrap() {
    std::string marker;
    if (db->get(storage::column::meta, keys::bootstrapped(), &marker).is_ok())
      return status::ok();
    for (auto s : {put(mgmt_op::put_workspace, "default"),
                   put(mgmt_op::put_service, "default", service_kind::fhir, "fhir"),
                   put(mgmt_op::put_service, "default", service_kind::dicom, "dicom"),
                   put(mgmt_op::put_service, "default", service_kind::iot, "iot")})
      if (!s)
        return s;
    return db->write({{storage::column::meta, false, false, keys::bootstrapped(), "1"}}, true);
  }

  /// Waits until every workspace actor has loaded and published its
  /// services, so the edge never answers 404 for a service that exists.
  status await_services() {
    // A workspace actor loads its services before it handles a message, so
    // one answered request per workspace means all of them are published.
    std::string prefix{keys::workspace_prefix};
    auto cur = db->scan(storage::column::meta, prefix, keys::prefix_end(prefix));
    for (; cur.valid(); cur.next()) {
      mgmt_request req;
      req.op = mgmt_op::list_services;
      req.workspace = std::string{cur.key().substr(prefix.size())};
      if (auto r = ask(req); !r)
        return r.error();
    }
    return cur.error();
  }

  /// A store written by a build with an older index layout has its
  /// manifests moved to their own column first (before any actor reads
  /// one). If its entries differ too (older than entries_format), it is
  /// re-indexed: every FHIR service with resources is marked (in the batch
  /// that records the new layout), and each marked service gets an upgrade
  /// job, at this and every start until one completes and removes the mark.
  /// Searches meanwhile may miss what is not re-indexed yet; the job's
  /// status URL says how far it is.
  status upgrade_index_format() {
    std::string stored;
    auto s = db->get(storage::column::meta, keys::index_format(), &stored);
    if (!s && s.code() != errc::not_found)
      return s;
    const std::uint32_t format = s ? (stored.size() == 4 ? keys::read_u32(stored.data()) : 0) : 1;
    if (format > storage::index::index_format || format == 0)
      return {errc::invalid, "the store's search index has layout " + std::to_string(format) +
                               ", which this build (layout " +
                               std::to_string(storage::index::index_format) +
                               ") does not know; use a newer build"};
    if (format < storage::index::index_format) {
      auto moved = storage::index::move_legacy_manifests(*db);
      if (!moved)
        return moved.error();
      if (*moved > 0)
        log.event("index-upgrade", "moved " + std::to_string(*moved) +
                                     " manifests to their own column");
      std::vector<storage::write_op> ops;
      std::string lower; // every service that has resources
      for (auto c = db->scan(storage::column::resources, lower, "");
           format < storage::index::entries_format && c.valid();
           c = db->scan(storage::column::resources, lower, "")) {
        auto svc = keys::read_u32(c.key().data());
        ops.push_back({storage::column::meta, false, false, keys::index_upgrade(svc), {}});
        lower = keys::service_scope(svc + 1);
      }
      std::string value;
      keys::append_u32(value, storage::index::index_format);
      ops.push_back({storage::column::meta, false, false, keys::index_format(), value});
      if (auto w = db->write(ops, true); !w)
        return w;
    }
    std::string prefix{keys::index_upgrades_all};
    std::vector<std::uint32_t> marked;
    for (auto c = db->scan(storage::column::meta, prefix, keys::prefix_end(prefix)); c.valid();
         c.next())
      if (auto svc = keys::meta_key_service(c.key()))
        marked.push_back(*svc);
    for (auto svc : marked) {
      if (auto running = params->get(svc)->running_job; !running.empty()) {
        log.event("index-upgrade", "service " + std::to_string(svc) + ": waits for job " +
                                     running + " (the next start re-indexes if it was not "
                                     "the upgrade)");
        continue;
      }
      fhir_request req;
      req.op = fhir_op::reindex_start;
      req.service = svc;
      req.query = "all";
      caf::scoped_actor self{*system};
      self->request(dir->fhir_service(svc), startup_timeout, std::move(req))
        .receive(
          [&](fhir_reply& r) {
            log.event("index-upgrade", "service " + std::to_string(svc) +
                                         (r.status.ok() ? ": re-indexing, job " + r.job_id
                                                        : ": " + r.status.message));
          },
          [&](caf::error& e) { log.event("index-upgrade", system->render(e)); });
    }
    return status::ok();
  }

  /// $reindex jobs that a stop interrupted continue where they were.
  void resume_reindex_jobs() {
    std::set<std::uint32_t> services;
    std::string prefix{keys::reindex_jobs_all};
    for (auto c = db->scan(storage::column::meta, prefix, keys::prefix_end(prefix)); c.valid();
         c.next())
      if (auto svc = keys::meta_key_service(c.key()))
        services.insert(*svc);
    for (auto svc : services) {
      fhir_request req;
      req.op = fhir_op::reindex_resume;
      req.service = svc;
      caf::anon_send(dir->fhir_service(svc), std::move(req));
    }
  }
};

node::node(std::unique_ptr<impl> d) : impl_(std::move(d)) {}

node::~node() { stop(); }

result<std::unique_ptr<node>> node::start(const node_config& cfg, request_log& log) {
  fhir::load_structure_check(); // the R4 tables every write is checked by
  auto d = std::make_unique<impl>(cfg, log);
  storage::store_options opts;
  opts.block_cache_bytes = cfg.block_cache_mib << 20;
  opts.record_cache_bytes = record_cache_bytes(cfg);
  auto db = storage::store::open(cfg.data_dir, opts);
  if (!db)
    return db.error();
  d->db = std::move(*db);
  d->system = std::make_unique<caf::actor_system>(d->actor_cfg);

  d->ctx.db = d->db.get();
  d->params = std::make_unique<param_catalog>(d->db.get());
  d->ctx.params = d->params.get();
  d->criteria = std::make_unique<criteria_cache>();
  d->ctx.criteria = d->criteria.get();
  d->sequences = std::make_unique<change_sequences>(*d->db);
  d->ctx.sequences = d->sequences.get();
  d->query_tags = std::make_unique<query_tag_registry>(*d->db);
  d->ctx.query_tags = d->query_tags.get();
  d->ctx.partitions = cfg.partitions;
  d->ctx.conditional_delete_max = cfg.conditional_delete_max;
  d->ctx.next_service_id = first_free_service_id(*d->db);
  // A shard writer on the scheduler blocks the thread it runs on for each
  // sync, but between batches that thread goes on to the partitions its
  // acks woke instead of sleeping until the next batch: +6-8% creates in
  // three sets of eight alternated rounds (tools/bench/README.md, "Threads
  // that do not preempt each other"). Only while a scheduler thread stays free of
  // writers, so other actors never wait on a sync they did not ask for;
  // else each writer has a thread of its own. Transaction writers keep
  // theirs: two of them could hold both threads of a 2-core node.
  for (int i = 0; i < cfg.writers; ++i)
    d->ctx.writers.push_back(
      shard_writers_scheduled(cfg) ? d->system->spawn(storage_writer, d->db.get())
                                   : d->system->spawn<caf::detached>(storage_writer, d->db.get()));
  for (int i = 0; i < cfg.transaction_writers; ++i)
    d->ctx.transaction_writers.push_back(
      d->system->spawn<caf::detached>(storage_writer, d->db.get()));
  for (int i = 0; i < cfg.search_workers; ++i)
    d->ctx.search_workers.push_back(d->system->spawn<caf::detached>(search_worker, &d->ctx));
  d->dir = std::make_unique<directory>(*d->system, d->ctx);
  d->ctx.dir = d->dir.get();

  d->edge.dir = d->dir.get();
  d->edge.software_version = "0.1.0";
  d->edge.local_node = d->system->node();
  d->edge.db = d->db.get();
  d->edge.params = d->params.get();
  d->edge.sequences = d->sequences.get();
  d->edge.query_tags = d->query_tags.get();
  // DICOM retrievals, searches and codecs, and apart from them STOW's
  // parsing and file writes: off the io threads, bounded. Many ingest
  // threads, because a STOW spends most of its time waiting for the disk
  // (16 measured 844 instances/s at 16 connections, 8: 700).
  d->work = std::make_unique<work_pool>(16, 1024);
  d->edge.work = d->work.get();
  d->ingest = std::make_unique<work_pool>(16, 1024);
  d->edge.ingest = d->ingest.get();
  d->ctx.background = d->work.get();
  d->files = std::make_unique<storage::file_store>(std::filesystem::path{cfg.data_dir} / "dicom-files");
  d->ctx.files = d->files.get();
  d->edge.files = d->files.get();
  d->edge.max_bundle_entries = cfg.bundle_entries;
  d->edge.catalog = d->system->spawn(catalog_actor, &d->ctx);
  auto timeout = std::chrono::milliseconds(cfg.request_timeout_ms);
  for (int i = 0; i < edge_io_threads(cfg); ++i)
    d->edge.gateways.push_back(d->system->spawn(gateway_actor, timeout));

  std::unique_ptr<node> n{new node(std::move(d))};
  auto& x = *n->impl_;
  if (auto s = x.bootstrap(); !s)
    return s;
  if (auto s = x.await_services(); !s)
    return s;
  x.resume_reindex_jobs();
  if (auto s = x.upgrade_index_format(); !s)
    return s;
  auto moved = storage::upgrade_dicom_index(*x.db);
  if (!moved)
    return moved.error();
  if (*moved > 0)
    x.log.event("dicom-index-upgrade", std::to_string(*moved) + " study index keys re-formed");

  http_server_config hc;
  hc.host = cfg.listen_host;
  hc.port = cfg.listen_port;
  hc.io_threads = edge_io_threads(cfg);
  hc.body_limit = cfg.body_limit;
  hc.max_in_flight = cfg.max_in_flight;
  hc.spools = make_spool_predicate(x.edge);
  hc.spool_dir = std::filesystem::path{cfg.data_dir} / "spool";
  x.edge.spool_dir = hc.spool_dir;
  hc.spool_limit = cfg.stow_limit;
  if (std::error_code ec; !std::filesystem::create_directories(hc.spool_dir, ec) && ec)
    return status{errc::io_error, "cannot create " + hc.spool_dir.string() + ": " + ec.message(),
                  "spool"};
  x.server = std::make_unique<http_server>(hc, make_router(x.edge), make_error_renderer(x.edge),
                                           log);
  if (auto s = x.server->start(); !s)
    return s;
  x.mirror = std::make_unique<fhir_mirror>(
    x.edge, *x.db, *x.sequences,
    "http://" + (cfg.listen_host == "0.0.0.0" ? std::string{"127.0.0.1"} : cfg.listen_host) + ":" +
      std::to_string(x.server->port()));
  x.mirror->start();
  resume_dicom_reindex(x.edge);
  x.edge.ready = true;
  return n;
}

std::uint16_t node::port() const { return impl_->server ? impl_->server->port() : 0; }

void node::stop() {
  auto& d = *impl_;
  if (d.stopped)
    return;
  d.stopped = true;
  d.edge.ready = false;
  if (d.mirror) // it writes through the FHIR services: before they stop
    d.mirror->stop();
  if (d.server) {
    d.server->stop_accepting();
    if (!d.server->drain(std::chrono::seconds(10)))
      d.log.event("drain-timeout", "requests still in flight after 10 s");
  }
  // Shards and management first; a shard's pending write still reaches its
  // writer, which answers it before it sees its own exit below.
  if (d.dir)
    d.dir->stop_all();
  if (d.system) {
    caf::anon_send_exit(d.edge.catalog, caf::exit_reason::user_shutdown);
    for (auto& g : d.edge.gateways)
      caf::anon_send_exit(g, caf::exit_reason::user_shutdown);
    for (auto& w : d.ctx.search_workers)
      caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    {
      // Writers finish the batches already in their mailboxes first.
      caf::scoped_actor self{*d.system};
      for (auto* group : {&d.ctx.writers, &d.ctx.transaction_writers})
        for (auto& w : *group)
          self->request(w, std::chrono::seconds(30), write_request{})
            .receive([](write_ack&) {}, [](caf::error&) {});
    }
    for (auto* group : {&d.ctx.writers, &d.ctx.transaction_writers})
      for (auto& w : *group)
        caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    d.system->await_all_actors_done();
  }
  if (d.server)
    d.server->stop();
  // Both finish what they hold (retrievals, STOWs) before the store closes.
  d.ingest.reset();
  d.work.reset();
  if (d.db && record_cache_bytes(d.cfg) > 0) {
    // How well the cache served this run: the figure to size it by.
    auto c = d.db->record_cache_stats();
    d.log.event("record-cache", std::to_string(c.hits) + " hits, " + std::to_string(c.misses) +
                                  " misses, " + std::to_string(c.entries) + " records held");
  }
  if (d.db)
    if (auto s = d.db->close(); !s)
      d.log.event("store-close-failed", s.message());
}

} // namespace atrium::runtime
