// Extended query tags: add (202 and a re-index operation), list, get,
// delete, errors; and the operations' status. Runs on the edge's work pool:
// it writes the store and waits for study partitions.
#include <charconv>
#include <future>
#include <map>
#include <set>
#include <variant>
#include <random>

#include <caf/send.hpp>
#include <simdjson.h>

#include "actors/dicom/change_sequences.hpp"
#include "actors/dicom/query_tag_registry.hpp"
#include "actors/edge/dicom_http.hpp"
#include "actors/work_pool.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/http/query.hpp"
#include "protocols/http/status_map.hpp"
#include "storage/store.hpp"

namespace atrium::actors::dicomweb {

namespace {

namespace keys = storage::keys;
using storage::column;

http::response json_answer(unsigned status, std::string body) {
  return {status, "application/json", std::move(body), {}};
}

http::response failed(const status& s) { return error(http::status_for(s.code()), s.message()); }

std::string new_operation_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i)
    id.push_back(hex[rng() & 0xf]);
  return id;
}

/// {"operationId":…,"type":"reindex","createdTime":…,"lastUpdatedTime":…,
///  "status":…,"percentComplete":N,"resources":[tag URLs]}; `created` is
/// the formatted instant, `resources` the JSON array.
std::string operation_json(const std::string& id, const std::string& created,
                           const std::string& state, int percent, const std::string& resources) {
  return R"({"operationId":")" + id + R"(","type":"reindex","createdTime":")" + created +
         R"(","lastUpdatedTime":")" +
         fhir::format_instant(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()) +
         R"(","status":")" + state + R"(","percentComplete":)" + std::to_string(percent) +
         R"(,"resources":)" + resources + "}";
}

/// A tag as Azure lists it, its errors (if any) linked.
std::string tag_json(const call& c, const dicom::query_tag& t) {
  return dicom::query_tag_json(t, c.ctx.query_tags->error_count(c.svc.id, t.tag),
                               c.root + "/extendedquerytags/" + dicom::tag_key(t.tag) + "/errors");
}

/// `limit` (1-200, 100 when absent) and `offset` of a list, Azure's paging
/// of tags and of their errors; an answer (400) when malformed.
struct page {
  std::size_t limit = 100, offset = 0;
};
std::variant<page, http::response> page_of(const http::request& req, std::string_view what) {
  auto params = http::parse_query(http::split_target(req.target).second);
  if (!params)
    return error(400, "the query string has a malformed percent-escape");
  page p;
  for (auto& [name, value] : *params) {
    std::size_t* into = http::equals_nocase(name, "limit")    ? &p.limit
                        : http::equals_nocase(name, "offset") ? &p.offset
                                                              : nullptr;
    if (!into)
      return error(400, "'" + name + "' is not a parameter of " + std::string{what} +
                          " (limit, offset)");
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *into);
    if (ec != std::errc{} || end != value.data() + value.size() ||
        (into == &p.limit && (p.limit < 1 || p.limit > 200)))
      return error(400, "'" + name + "' must be " +
                          (into == &p.limit ? "a whole number from 1 to 200" : "a whole number"));
  }
  return p;
}

/// GET …/extendedquerytags/{tag}/errors?limit&offset: the instances whose
/// value failed the tag's VR when it was added.
http::response tag_errors(call& c, const http::request& req, dicom::tag tag) {
  auto paging = page_of(req, "the errors list");
  if (auto* bad = std::get_if<http::response>(&paging))
    return std::move(*bad);
  const auto [limit, offset] = std::get<page>(paging);
  std::string body = "[";
  for (auto& e : c.ctx.query_tags->errors(c.svc.id, tag, offset, limit)) {
    if (body.size() > 1)
      body += ',';
    body += R"({"StudyInstanceUid":)";
    fhir::append_json_string(body, e.study);
    body += R"(,"SeriesInstanceUid":)";
    fhir::append_json_string(body, e.series);
    body += R"(,"SopInstanceUid":)";
    fhir::append_json_string(body, e.sop);
    body += ',';
    body.append(e.json, 1); // {"CreatedTime":…,"ErrorMessage":…} without its brace
  }
  return json_answer(200, body + "]");
}

/// A PATCH body: {"QueryStatus":"Enabled"} or {"QueryStatus":"Disabled"}.
result<bool> query_status_of(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view value;
  if (parser.parse(body.data(), body.size()).get(e) || e["QueryStatus"].get(value) ||
      (value != "Enabled" && value != "Disabled"))
    return status{errc::invalid,
                  R"(the body must be {"QueryStatus":"Enabled"} or {"QueryStatus":"Disabled"})"};
  return value == "Enabled";
}

/// The re-index job: every study of the service rebuilt by its partition,
/// one at a time, progress saved every 100 studies; then the tags are ready.
/// Re-indexing a study twice is harmless, so a job cut short by a restart
/// simply runs again (resume_dicom_reindex).
void run_reindex(edge_context& ctx, std::uint32_t svc, std::string id, std::string created,
                 std::string resources) {
  std::vector<std::string> studies;
  auto prefix = keys::dicom_studies_prefix(svc);
  for (auto cur = ctx.db->scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid(); cur.next())
    studies.emplace_back(cur.key().substr(prefix.size()));
  std::string state = "succeeded";
  for (std::size_t i = 0; i < studies.size(); ++i) {
    auto dest = ctx.dir->dicom_partition(svc, studies[i]);
    if (!dest)
      return; // shutting down: the job stays "running" and resumes at the next start
    auto done = std::make_shared<std::promise<dicom_reply>>();
    auto result = done->get_future();
    dicom_request r;
    r.op = dicom_op::reindex;
    r.service = svc;
    r.study = studies[i];
    dicom_callback reply = [done](dicom_reply rep) { done->set_value(std::move(rep)); };
    caf::anon_send(dest, std::move(r), std::move(reply));
    try {
      if (!result.get().status.ok()) {
        state = "failed";
        break;
      }
    } catch (const std::future_error&) { // the partition stopped: shutting down
      return;
    }
    if (i % 100 == 99)
      (void)ctx.query_tags->set_operation(
        svc, id, operation_json(id, created, "running", static_cast<int>(i * 100 / studies.size()), resources));
  }
  if (state == "succeeded" && !ctx.query_tags->ready(svc, id))
    state = "failed";
  (void)ctx.query_tags->set_operation(svc, id, operation_json(id, created, state, 100, resources));
}

} // namespace

void query_tags(call& c, http::request& req, std::span<const std::string> rest,
                http::responder respond) {
  auto& registry = *c.ctx.query_tags;
  const auto svc = c.svc.id;
  const auto& m = req.method;
  if (rest.empty()) {
    if (m == "GET") {
      auto paging = page_of(req, "the tag list");
      if (auto* bad = std::get_if<http::response>(&paging))
        return respond(std::move(*bad));
      const auto [limit, offset] = std::get<page>(paging);
      const auto tags = registry.of(svc);
      std::string body = "[";
      for (std::size_t k = offset; k < tags.size() && k - offset < limit; ++k)
        body += (body.size() > 1 ? "," : "") + tag_json(c, tags[k]);
      return respond(json_answer(200, body + "]"));
    }
    if (m != "POST")
      return respond(error(405, "allowed here: GET, POST"));
    auto tags = dicom::parse_query_tags(req.body);
    if (!tags)
      return respond(failed(tags.error()));
    const auto id = new_operation_id();
    std::string resources = "[";
    const auto stored_so_far = c.ctx.sequences->next(svc);
    for (auto& t : *tags) {
      t.operation = id;
      t.validate_below = stored_so_far;
      if (resources.size() > 1)
        resources += ',';
      fhir::append_json_string(resources, c.root + "/extendedquerytags/" + dicom::tag_key(t.tag));
    }
    resources += ']';
    const auto created = fhir::format_instant(std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    if (auto s = registry.set_operation(svc, id, operation_json(id, created, "running", 0, resources)); !s)
      return respond(failed(s));
    if (auto s = registry.add(svc, *tags); !s)
      return respond(failed(s));
    auto& ctx = c.ctx;
    if (!ctx.work->submit([&ctx, svc, id, created, resources] { run_reindex(ctx, svc, id, created, resources); }))
      return respond(error(503, "too much work is queued to start the re-index; try again"));
    auto href = c.root + "/operations/" + id;
    auto r = json_answer(202, R"({"id":")" + id + R"(","href":")" + href + "\"}");
    r.add_header("Location", href);
    return respond(std::move(r));
  }
  auto tag = dicom::tag_named(rest[0]);
  if (!tag)
    return respond(error(400, "'" + rest[0] + "' is neither 8 hex digits nor a keyword of the "
                                              "DICOM data dictionary"));
  auto tags = registry.of(svc);
  auto it = std::find_if(tags.begin(), tags.end(), [&](auto& t) { return t.tag == *tag; });
  if (it == tags.end())
    return respond(error(404, "no extended query tag " + dicom::tag_key(*tag)));
  if (rest.size() == 2 && rest[1] == "errors") {
    if (m != "GET")
      return respond(error(405, "allowed here: GET"));
    return respond(tag_errors(c, req, *tag));
  }
  if (rest.size() != 1)
    return respond(error(404, "nothing is served here"));
  if (m == "GET")
    return respond(json_answer(200, tag_json(c, *it)));
  if (m == "DELETE") {
    if (auto s = registry.remove(svc, *tag); !s)
      return respond(failed(s));
    return respond({204, {}, {}, {}});
  }
  if (m == "PATCH") {
    auto enabled = query_status_of(req.body);
    if (!enabled)
      return respond(failed(enabled.error()));
    if (auto s = registry.set_query_enabled(svc, *tag, *enabled); !s)
      return respond(failed(s));
    for (auto& t : registry.of(svc))
      if (t.tag == *tag)
        return respond(json_answer(200, tag_json(c, t)));
    return respond(error(404, "no extended query tag " + dicom::tag_key(*tag)));
  }
  respond(error(405, "allowed here: GET, DELETE, PATCH"));
}

/// A stored operation document (v2's words, URLs of the version it was
/// started under) as v1 answers it.
std::string v1_view(std::string json, const std::string& service) {
  auto replace_all = [&](std::string_view from, std::string_view to) {
    for (auto at = json.find(from); at != std::string::npos; at = json.find(from, at + to.size()))
      json.replace(at, from.size(), to);
  };
  replace_all(R"("status":"succeeded")", R"("status":"completed")");
  replace_all("/" + service + "/v2/", "/" + service + "/v1/");
  return json;
}

void operation(call& c, const std::string& id, http::responder respond) {
  auto json = c.ctx.query_tags->operation(c.svc.id, id);
  if (!json)
    return respond(error(404, "no operation " + id));
  const bool running = json->find(R"("status":"running")") != std::string::npos;
  if (!c.v2) // as v1 says it: "completed", and the tags' URLs under v1
    *json = v1_view(std::move(*json), c.svc.name);
  respond(json_answer(running ? 202 : 200, std::move(*json)));
}

} // namespace atrium::actors::dicomweb

namespace atrium::actors {

void resume_dicom_reindex(edge_context& ctx) {
  for (auto& svc : ctx.dir->services()) {
    if (svc.kind != service_kind::dicom)
      continue;
    std::set<std::string> running;
    for (auto& t : ctx.query_tags->of(svc.id))
      if (!t.ready)
        running.insert(t.operation);
    for (auto& id : running) {
      auto json = ctx.query_tags->operation(svc.id, id);
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      std::string_view created;
      if (!json || parser.parse(*json).get(doc) || doc["createdTime"].get(created))
        continue;
      auto resources = simdjson::to_string(doc["resources"]);
      ctx.work->submit([&ctx, svc = svc.id, id, created = std::string{created},
                        resources = std::string{resources}] {
        dicomweb::run_reindex(ctx, svc, id, created, resources);
      });
    }
  }
}

} // namespace atrium::actors
