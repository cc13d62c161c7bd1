// QIDO-RS over the study, series and instance records. Each level is one
// range scan of its records, filtered; the study and series records hold
// the latest instance's attributes and the counts.
#include <algorithm>
#include <map>

#include "actors/edge/dicom_http.hpp"
#include "protocols/dicom/qido.hpp"
#include "protocols/http/query.hpp"
#include "actors/dicom/query_tag_registry.hpp"
#include "storage/dicom_index.hpp"
#include "storage/dicom_records.hpp"
#include "storage/store.hpp"

namespace atrium::actors::dicomweb {

namespace {

using storage::column;
namespace keys = storage::keys;
using dicom::level;

/// One record's attributes, with the computed ones added.
struct attrs {
  std::vector<dicom::attribute> list;
  std::string modalities; // a study's ModalitiesInStudy, '\\'-separated

  const dicom::attribute* find(dicom::tag t) const {
    for (auto& a : list)
      if (a.tag == t)
        return &a;
    return nullptr;
  }
  std::string text(dicom::tag t) const {
    auto* a = find(t);
    return a ? dicom::first_value_text(*a) : std::string{};
  }
};

dicom::attribute number(dicom::tag t, std::uint64_t n) {
  return {t, "IS", R"({"vr":"IS","Value":[)" + std::to_string(n) + "]}"};
}

attrs study_attrs(const storage::dicom_group_record& r) {
  attrs a{dicom::parse_dataset(r.attributes), r.modalities};
  std::string values;
  for (auto m : dicom::split_values(r.modalities))
    values += (values.empty() ? "\"" : ",\"") + std::string{m} + "\"";
  a.list.push_back({dicom::tags::modalities_in_study, "CS",
                    values.empty() ? R"({"vr":"CS"})" : R"({"vr":"CS","Value":[)" + values + "]}"});
  a.list.push_back(number(dicom::tags::number_of_study_related_series, r.series));
  a.list.push_back(number(dicom::tags::number_of_study_related_instances, r.instances));
  return a;
}

attrs series_attrs(const storage::dicom_group_record& r) {
  attrs a{dicom::parse_dataset(r.attributes), {}};
  a.list.push_back(number(dicom::tags::number_of_series_related_instances, r.instances));
  return a;
}

/// An instance's attributes, with the value of each private extended query
/// tag under its tag as registered (the block its creator reserved differs
/// from file to file), and no other element at that tag. Study and series
/// records hold those values so already (actors/dicom/study_partition.cpp).
attrs instance_attrs(const std::string& dataset, std::span<const dicom::query_tag> extended) {
  attrs a{dicom::parse_dataset(dataset), {}};
  std::vector<dicom::attribute> registered;
  std::vector<dicom::tag> replaced;
  for (auto& t : extended)
    if (dicom::is_private(t.tag)) {
      replaced.push_back(t.tag);
      if (auto* x = dicom::find_tag_value(a.list, t)) {
        registered.push_back(*x);
        registered.back().tag = t.tag;
      }
    }
  if (replaced.empty())
    return a;
  // An element at the registered tag itself is another creator's, or
  // the creator's own when its block is the registered one (copied above).
  std::erase_if(a.list, [&](auto& x) { return std::ranges::find(replaced, x.tag) != replaced.end(); });
  a.list.insert(a.list.begin(), registered.begin(), registered.end());
  return a;
}

/// The terms of one level, matched against that level's attributes.
bool match_level(const dicom::qido_query& q, level l, const attrs& a) {
  for (auto& t : q.terms) {
    if (t.attribute->level != l)
      continue;
    auto value = t.attribute->tag == dicom::tags::modalities_in_study ? a.modalities
                                                                       : a.text(t.attribute->tag);
    if (!dicom::matches(t, value, q.fuzzy))
      return false;
  }
  return true;
}

/// The UID that names a result at level `l`.
dicom::tag uid_tag(level l) {
  return l == level::study    ? dicom::tags::study_instance_uid
         : l == level::series ? dicom::tags::series_instance_uid
                              : dicom::tags::sop_instance_uid;
}

/// One result's DICOM JSON object, each attribute once: an instance's
/// record holds its study's and series' attributes too.
struct result_item {
  std::string json = "{";
  std::vector<dicom::tag> tags;

  void add(const dicom::attribute& x) {
    if (std::ranges::find(tags, x.tag) != tags.end())
      return;
    tags.push_back(x.tag);
    if (json.size() > 1)
      json += ',';
    json += '"' + dicom::tag_key(x.tag) + "\":" + x.json;
  }
  std::string close() { return std::move(json) + "}"; }
};

/// What a result carries from one level: the defaults (v1's or v2's) of the levels not
/// fixed by the path, includefield, or everything with includefield=all;
/// and always the level's UID (a path's too, so a client can build the
/// WADO URL) and the attributes the query matched on (PS3.18 10.6.3.3;
/// Azure: "all the match query parameters and UIDs in the resource url").
void add_level(result_item& out, const dicom::qido_query& q, level l, bool with_defaults,
               const attrs& a) {
  for (auto& x : a.list) {
    auto* known = dicom::find_attribute(x.tag);
    const bool by_default = known && (q.v1 ? known->by_default_v1 : known->by_default);
    bool wanted = (known && known->level == l && (q.include_all || (with_defaults && by_default))) ||
                  x.tag == uid_tag(l) ||
                  std::ranges::any_of(q.terms, [&](auto& t) {
                    return t.attribute->tag == x.tag && t.attribute->level == l;
                  }) ||
                  std::find(q.include.begin(), q.include.end(), x.tag) != q.include.end();
    if (wanted)
      out.add(x);
  }
}

std::optional<storage::dicom_group_record> read_group(const call& c, const std::string& key) {
  std::string bytes;
  if (!c.ctx.db->get(column::dicom, key, &bytes).is_ok())
    return std::nullopt;
  return storage::decode_dicom_group(bytes);
}

/// Pages the matches: skips `offset`, stops after `limit`.
struct page {
  const dicom::qido_query& q;
  std::string body = "[";
  std::size_t matched = 0, emitted = 0;
  bool full() const { return emitted >= q.limit; }
  /// Whether this match is on the page (counted either way).
  bool take() { return matched++ >= q.offset && !full(); }
  void add(std::string item) {
    if (emitted++ > 0)
      body += ',';
    body += item;
  }
};

std::string uid_of(std::string_view key, std::size_t prefix) {
  auto rest = key.substr(prefix);
  return std::string{rest.substr(0, rest.find('\0'))};
}

/// The studies the index says may match one study-level term: an exact
/// value, a date range or a trailing-wildcard prefix of an indexed
/// attribute; nullopt when no term can use the index (the caller scans).
/// Sorted; every candidate is still matched against all terms.
std::optional<std::vector<std::string>> indexed_studies(const call& c, const dicom::qido_query& q) {
  for (auto& t : q.terms) {
    const auto tag = t.attribute->tag;
    if (!storage::dicom_indexed(tag) || (t.attribute->vr == "PN" && q.fuzzy))
      continue;
    const auto& v = t.value;
    std::string lower, upper;
    bool exact = false;
    if (t.attribute->vr == "DA" && v.find('-') != std::string::npos) {
      auto dash = v.find('-');
      lower = keys::dicom_index_prefix(c.svc.id, tag, v.substr(0, dash));
      upper = dash + 1 < v.size() ? keys::prefix_end(keys::dicom_index_prefix(c.svc.id, tag, v.substr(dash + 1)))
                                  : keys::prefix_end(keys::dicom_index_prefix(c.svc.id, tag));
    } else if (v.find_first_of("*?") == std::string::npos) {
      lower = keys::dicom_index_prefix(c.svc.id, tag, storage::dicom_index_value(v), true);
      upper = keys::prefix_end(lower);
      exact = true;
    } else if (v.find_first_of("*?") == v.size() - 1 && v.back() == '*') {
      lower = keys::dicom_index_prefix(c.svc.id, tag, storage::dicom_index_value(v.substr(0, v.size() - 1)));
      upper = keys::prefix_end(lower);
    } else {
      continue;
    }
    std::vector<std::string> studies;
    for (auto cur = c.ctx.db->scan(column::dicom, lower, upper); cur.valid(); cur.next()) {
      auto key = cur.key();
      auto cut = exact ? lower.size() : key.find('\0', keys::dicom_index_prefix(c.svc.id, tag).size());
      if (cut == std::string_view::npos)
        continue;
      studies.emplace_back(key.substr(exact ? cut : cut + 1));
    }
    std::sort(studies.begin(), studies.end());
    studies.erase(std::unique(studies.begin(), studies.end()), studies.end());
    return studies;
  }
  return std::nullopt;
}

/// A single UID the query fixes for a level ("StudyInstanceUID=1.2.3"), so
/// the scan narrows to it.
std::string fixed_uid(const dicom::qido_query& q, dicom::tag t) {
  for (auto& term : q.terms)
    if (term.attribute->tag == t && term.value.find_first_of(",\\*?") == std::string::npos)
      return term.value;
  return {};
}

/// The extended query tags the query matches on whose re-index met values
/// failing their VR (queries enabled again by a PATCH), comma-separated:
/// Azure's erroneous-dicom-attributes header, since such a query can miss
/// instances. "" for the common query, which names none.
std::string erroneous_terms(call& c, const dicom::qido_query& q) {
  std::vector<dicom::tag> named;
  for (auto& t : q.terms)
    for (auto& e : q.extended)
      if (t.attribute == &e)
        named.push_back(e.tag);
  if (named.empty())
    return {};
  std::string out;
  for (auto tag : named)
    if (c.ctx.query_tags->has_errors(c.svc.id, tag))
      out += (out.empty() ? "" : ",") + dicom::tag_key(tag);
  return out;
}

} // namespace

void search(call& c, const http::request& req, std::string_view level_name, std::string_view study,
            std::string_view series, http::responder respond) {
  if (!accepts_dicom_json(req))
    return respond(error(406, "QIDO-RS answers application/dicom+json only"));
  auto params = http::parse_query(http::split_target(req.target).second);
  if (!params)
    return respond(error(400, "the query string has a malformed percent-escape"));
  const level l = level_name == "studies" ? level::study
                  : level_name == "series" ? level::series
                                           : level::instance;
  const auto extended = c.ctx.query_tags->of(c.svc.id); // outlives q, which points into it
  const auto fixed = !series.empty() ? std::optional{level::series}
                     : !study.empty() ? std::optional{level::study}
                                      : std::nullopt;
  auto q = dicom::parse_qido(*params, l, extended, fixed);
  if (!q)
    return respond(error(400, q.error().message()));
  q->v1 = !c.v2;
  std::string study_uid{study};
  if (study_uid.empty())
    study_uid = fixed_uid(*q, dicom::tags::study_instance_uid);
  std::string series_uid{series};
  if (series_uid.empty() && !study_uid.empty())
    series_uid = fixed_uid(*q, dicom::tags::series_instance_uid);
  const auto svc = c.svc.id;
  auto& db = *c.ctx.db;
  page out{*q};
  // Study and series records, read once per query.
  std::map<std::string, std::optional<attrs>> studies, series_cache;
  auto study_of = [&](const std::string& uid) -> const std::optional<attrs>& {
    auto it = studies.find(uid);
    if (it == studies.end()) {
      auto rec = read_group(c, keys::dicom_study(svc, uid));
      it = studies.emplace(uid, rec ? std::optional<attrs>{study_attrs(*rec)} : std::nullopt).first;
    }
    return it->second;
  };
  auto series_of = [&](const std::string& st, const std::string& se) -> const std::optional<attrs>& {
    auto k = st + '/' + se;
    auto it = series_cache.find(k);
    if (it == series_cache.end()) {
      auto rec = read_group(c, keys::dicom_series(svc, st, se));
      it = series_cache.emplace(k, rec ? std::optional<attrs>{series_attrs(*rec)} : std::nullopt).first;
    }
    return it->second;
  };

  // The studies to look at: one, those the index names, or all.
  std::optional<std::vector<std::string>> candidates;
  if (!study_uid.empty())
    candidates = std::vector<std::string>{study_uid};
  else
    candidates = indexed_studies(c, *q);

  if (l == level::study) {
    auto emit = [&](const storage::dicom_group_record& rec) {
      auto a = study_attrs(rec);
      if (!match_level(*q, level::study, a) || !out.take())
        return;
      result_item item;
      add_level(item, *q, level::study, true, a);
      out.add(item.close());
    };
    if (candidates) {
      for (auto& uid : *candidates) {
        if (out.full())
          break;
        if (auto rec = read_group(c, keys::dicom_study(svc, uid)))
          emit(*rec);
      }
    } else {
      auto prefix = keys::dicom_studies_prefix(svc);
      for (auto cur = db.scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid() && !out.full();
           cur.next())
        if (auto rec = storage::decode_dicom_group(cur.value()))
          emit(*rec);
    }
  } else {
    // Series or instances, of one study (`in`) or of all ("").
    auto scan_series = [&](const std::string& in) {
      auto prefix = keys::dicom_series_prefix(svc, in);
      auto all = keys::dicom_series_prefix(svc);
      for (auto cur = db.scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid() && !out.full();
           cur.next()) {
        auto rec = storage::decode_dicom_group(cur.value());
        if (!rec)
          continue;
        auto st = uid_of(cur.key(), all.size());
        auto se = std::string{cur.key().substr(all.size() + st.size() + 1)};
        if (!series_uid.empty() && se != series_uid)
          continue;
        auto a = series_attrs(*rec);
        if (!match_level(*q, level::series, a))
          continue;
        auto& sa = study_of(st);
        if (!sa || !match_level(*q, level::study, *sa) || !out.take())
          continue;
        result_item item;
        add_level(item, *q, level::study, study.empty(), *sa);
        add_level(item, *q, level::series, true, a);
        out.add(item.close());
      }
    };
    auto scan_instances = [&](const std::string& in) {
      auto prefix = keys::dicom_instances_prefix(svc, in, in.empty() ? std::string{} : series_uid);
      for (auto cur = db.scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid() && !out.full();
           cur.next()) {
        auto uids = keys::parse_dicom_instance(cur.key());
        if (!uids)
          continue;
        std::string st{uids->study}, se{uids->series};
        if (!series_uid.empty() && se != series_uid)
          continue;
        auto rec = storage::decode_dicom_instance(cur.value());
        if (!rec)
          continue;
        auto a = instance_attrs(rec->dataset, extended);
        if (!match_level(*q, level::instance, a))
          continue;
        auto& sea = series_of(st, se);
        auto& sta = study_of(st);
        if (!sea || !sta || !match_level(*q, level::series, *sea) ||
            !match_level(*q, level::study, *sta) || !out.take())
          continue;
        result_item item;
        add_level(item, *q, level::study, study.empty(), *sta);
        add_level(item, *q, level::series, series.empty(), *sea);
        add_level(item, *q, level::instance, true, a);
        out.add(item.close());
      }
    };
    auto scan = [&](const std::string& in) { l == level::series ? scan_series(in) : scan_instances(in); };
    if (candidates) {
      for (auto& uid : *candidates) {
        if (out.full())
          break;
        scan(uid);
      }
    } else {
      scan({});
    }
  }
  http::response res{204, {}, {}, {}};
  if (out.emitted > 0) {
    out.body += ']';
    res = {200, std::string{dicom_json}, std::move(out.body), {}};
  }
  if (auto erroneous = erroneous_terms(c, *q); !erroneous.empty())
    res.add_header("erroneous-dicom-attributes", erroneous);
  respond(std::move(res));
}

} // namespace atrium::actors::dicomweb
