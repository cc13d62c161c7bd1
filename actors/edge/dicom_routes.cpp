#include <charconv>
#include <functional>
#include <memory>

#include <caf/send.hpp>

#include "actors/work_pool.hpp"

#include "actors/edge/dicom_http.hpp"
#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/multipart.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/http/query.hpp"
#include "protocols/http/status_map.hpp"

namespace atrium::actors {

namespace dicomweb {

http::response error(unsigned status, std::string_view message) { return problem(status, message); }

bool accepts_dicom_json(const http::request& req) {
  auto accept = req.header("accept");
  if (!accept || accept->empty())
    return true;
  for (auto& m : dicom::parse_accept(*accept))
    if (m.q > 0 && (m.type == "*/*" || m.type == "application/*" || m.type == "application/json" ||
                    m.type == dicom_json))
      return true;
  return false;
}

void remove(call& c, std::string_view study, std::string_view series, std::string_view sop,
            http::responder respond) {
  auto dest = c.ctx.dir->dicom_partition(c.svc.id, study);
  if (!dest)
    return respond(error(503, "the node is shutting down"));
  dicom_request r;
  r.op = dicom_op::remove;
  r.service = c.svc.id;
  r.study = std::string{study};
  r.series = std::string{series};
  r.sop = std::string{sop};
  // Answers once; a callback dropped unanswered (its actor stopped at
  // shutdown) answers 503.
  struct once {
    http::responder respond;
    bool answered = false;
    ~once() {
      if (!answered && respond)
        respond(error(503, "the service stopped before deleting"));
    }
  };
  auto state = std::make_shared<once>();
  state->respond = std::move(respond);
  dicom_callback reply = [state](dicom_reply rep) {
    state->answered = true;
    if (!rep.status.ok())
      return state->respond(error(http::status_for(rep.status.code), rep.status.message));
    state->respond({204, {}, {}, {}});
  };
  caf::anon_send(dest, std::move(r), std::move(reply));
}

} // namespace dicomweb

namespace {

using namespace dicomweb;

bool valid_uids(std::span<const std::string> uids) {
  for (auto& u : uids)
    if (!dicom::is_valid_uid(u))
      return false;
  return true;
}

void not_built(http::responder& respond, const std::string& what) {
  respond(error(501, std::string{what} + " is not built yet in this DICOM service"));
}

using pool_job = std::function<void(call&, http::request&, http::responder)>;

/// Runs a request on `pool`; 503 saying `busy` when its queue is full.
void run_on(work_pool& pool, std::string_view busy, call& c, http::request&& req,
            http::responder respond, pool_job run) {
  auto shared = std::make_shared<http::request>(std::move(req));
  auto job = [c, shared, respond, run = std::move(run)]() mutable {
    run(c, *shared, std::move(respond));
  };
  if (!pool.submit(std::move(job)))
    respond(error(503, std::string{busy} + "; try again shortly"));
}

/// Runs a read on the edge's work pool: DICOM reads move megabytes and scan
/// records, none of which may hold up an io thread.
void offload(call& c, http::request&& req, http::responder respond, pool_job read) {
  run_on(*c.ctx.work, "too many DICOM reads are waiting", c, std::move(req), std::move(respond),
         std::move(read));
}

/// Runs a STOW on the edge's ingest pool (it parses every instance and waits
/// for the disk).
void ingest(call& c, http::request&& req, http::responder respond, pool_job store) {
  run_on(*c.ctx.ingest, "too many STOW requests are waiting", c, std::move(req),
         std::move(respond), std::move(store));
}

http::response method_not_allowed(std::string_view allowed) {
  auto r = error(405, "allowed here: " + std::string{allowed});
  r.add_header("Allow", std::string{allowed});
  return r;
}

} // namespace

void serve_dicom(edge_context& ctx, const service_info& svc, std::span<const std::string> rest,
                 http::request&& req, http::responder answer) {
  // Every answer names the API versions served, as Azure's service does.
  http::responder respond = [answer = std::move(answer)](http::response r) {
    r.add_header("api-supported-versions", "1, 2");
    answer(std::move(r));
  };
  if (rest.empty() || (rest[0] != "v1" && rest[0] != "v2"))
    return respond(error(404, "DICOMweb is served under a version: /" + svc.workspace + "/" +
                                svc.name + "/v2/ (or /v1/)"));
  auto host = req.header("host");
  const bool v2 = rest[0] == "v2";
  call c{ctx, svc,
         "http://" + std::string{host ? *host : "localhost"} + "/" + svc.workspace + "/" +
           svc.name + "/" + rest[0],
         v2};
  rest = rest.subspan(1);
  const auto& m = req.method;
  const bool get = m == "GET" || m == "HEAD";
  auto n = rest.size();
  if (n == 0)
    return respond(error(404, "nothing is served at the DICOMweb root; see studies, series, "
                              "instances, changefeed"));
  const auto& top = rest[0];
  if (top == "changefeed" && (n == 1 || (n == 2 && rest[1] == "latest"))) {
    if (!get)
      return respond(method_not_allowed("GET"));
    return offload(c, std::move(req), std::move(respond),
                   [v2, latest = n == 2](call& c, http::request& r, http::responder done) {
                     changefeed(c, r, v2, latest, std::move(done));
                   });
  }
  if (top == "extendedquerytags") {
    std::vector<std::string> tail{rest.begin() + 1, rest.end()};
    return offload(c, std::move(req), std::move(respond),
                   [tail](call& c, http::request& r, http::responder done) {
                     query_tags(c, r, tail, std::move(done));
                   });
  }
  if (top == "operations" && n == 2) {
    if (!get)
      return respond(method_not_allowed("GET"));
    return offload(c, std::move(req), std::move(respond),
                   [id = rest[1]](call& c, http::request&, http::responder done) {
                     operation(c, id, std::move(done));
                   });
  }
  if (top == "workitems")
    return not_built(respond, "UPS-RS (workitems)");
  if ((top == "series" || top == "instances") && n == 1) {
    if (!get)
      return respond(method_not_allowed("GET"));
    return offload(c, std::move(req), std::move(respond),
                   [top](call& c, http::request& r, http::responder done) {
                     search(c, r, top, {}, {}, std::move(done));
                   });
  }
  if (top != "studies")
    return respond(error(404, "nothing is served at " + top));
  if (n == 1) {
    if (get)
      return offload(c, std::move(req), std::move(respond),
                     [](call& c, http::request& r, http::responder done) {
                       search(c, r, "studies", {}, {}, std::move(done));
                     });
    if (m == "POST" || m == "PUT")
      return ingest(c, std::move(req), std::move(respond),
                     [upsert = m == "PUT"](call& c, http::request& r, http::responder done) {
                       stow(c, std::move(r), {}, upsert, std::move(done));
                     });
    return respond(method_not_allowed("GET, POST, PUT"));
  }
  // studies/{study}[/series/{series}[/instances/{sop}]][/…]: pick the UIDs.
  std::string study = rest[1], series, sop;
  std::size_t at = 2;
  if (n > at + 1 && rest[at] == "series") {
    series = rest[at + 1];
    at += 2;
    if (n > at + 1 && rest[at] == "instances") {
      sop = rest[at + 1];
      at += 2;
    }
  }
  std::vector<std::string> uids{study};
  if (!series.empty())
    uids.push_back(series);
  if (!sop.empty())
    uids.push_back(sop);
  if (!valid_uids(uids))
    return respond(error(400, "a UID in the path is not 1-64 characters of [0-9A-Za-z.-]"));
  auto tail = rest.subspan(at);
  if (tail.empty()) {
    if (get)
      return offload(c, std::move(req), std::move(respond),
                     [study, series, sop](call& c, http::request& r, http::responder done) {
                       retrieve(c, r, study, series, sop, std::move(done));
                     });
    if (m == "DELETE")
      return remove(c, study, series, sop, std::move(respond));
    if ((m == "POST" || m == "PUT") && series.empty())
      return ingest(c, std::move(req), std::move(respond),
                     [study, upsert = m == "PUT"](call& c, http::request& r, http::responder done) {
                       stow(c, std::move(r), study, upsert, std::move(done));
                     });
    return respond(method_not_allowed(series.empty() ? "GET, POST, PUT, DELETE" : "GET, DELETE"));
  }
  if (tail.size() == 1 && tail[0] == "metadata") {
    if (!get)
      return respond(method_not_allowed("GET"));
    return offload(c, std::move(req), std::move(respond),
                   [study, series, sop](call& c, http::request& r, http::responder done) {
                     metadata(c, r, study, series, sop, std::move(done));
                   });
  }
  if (tail.size() == 1 && (tail[0] == "series" || tail[0] == "instances") && sop.empty() &&
      (tail[0] == "instances" || series.empty())) {
    if (!get)
      return respond(method_not_allowed("GET"));
    return offload(c, std::move(req), std::move(respond),
                   [level = tail[0], study, series](call& c, http::request& r,
                                                    http::responder done) {
                     search(c, r, level, study, series, std::move(done));
                   });
  }
  if (!sop.empty() && (tail[0] == "frames" || tail[0] == "rendered")) {
    if (!get)
      return respond(method_not_allowed("GET"));
    if (tail.size() == 1 && tail[0] == "rendered")
      return offload(c, std::move(req), std::move(respond),
                     [study, series, sop](call& c, http::request& r, http::responder done) {
                       rendered(c, r, study, series, sop, 1, std::move(done));
                     });
    if (tail[0] == "frames" && tail.size() == 2)
      return offload(c, std::move(req), std::move(respond),
                     [study, series, sop, list = tail[1]](call& c, http::request& r,
                                                          http::responder done) {
                       frames(c, r, study, series, sop, list, std::move(done));
                     });
    if (tail[0] == "frames" && tail.size() == 3 && tail[2] == "rendered") {
      std::uint32_t frame = 0;
      auto& f = tail[1];
      auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), frame);
      if (ec != std::errc{} || p != f.data() + f.size() || frame == 0)
        return respond(error(400, "a frame number is a whole number from 1"));
      return offload(c, std::move(req), std::move(respond),
                     [study, series, sop, frame](call& c, http::request& r, http::responder done) {
                       rendered(c, r, study, series, sop, frame, std::move(done));
                     });
    }
  }
  if (tail[0] == "bulk" || tail[0] == "thumbnail" || tail[0] == "rendered")
    return not_built(respond, "Retrieval of " + tail[0] + " (beyond Azure)");
  respond(error(404, "nothing is served at " + std::string{req.target}));
}

} // namespace atrium::actors
