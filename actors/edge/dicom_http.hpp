#pragma once
// What the DICOMweb route files share (actors/edge/dicom_*.cpp). Reads are
// served on the io thread from the node's store, like FHIR reads: a write is
// acknowledged only once durable, so the store holds what clients have seen.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "actors/directory.hpp"
#include "actors/edge/router.hpp"
#include "protocols/http/message.hpp"

namespace atrium::actors::dicomweb {

inline constexpr std::string_view dicom_json = "application/dicom+json";
/// Azure refuses to transcode or render inputs above this (406).
inline constexpr std::uint64_t max_codec_input = 100u << 20;

/// One request's context: the service and its DICOMweb root URL.
struct call {
  edge_context& ctx;
  service_info svc;
  std::string root; // "http://host/ws/dicom/v2"
  /// Which API the path names. v1 refuses an instance whose attributes fail
  /// their VR (v2 stores it with warning 1) or whose PatientID is empty,
  /// and answers 200 when everything is stored, warnings or not.
  bool v2 = true;
};

/// A DICOMweb error: application/problem+json with the status and why.
http::response error(unsigned status, std::string_view message);

/// Whether Accept allows DICOM JSON (absent, */*, application/*,
/// application/json or application/dicom+json).
bool accepts_dicom_json(const http::request& req);

void stow(call& c, http::request&& req, std::string_view study, bool upsert,
          http::responder respond);
/// WADO-RS: the instances of a study, series or instance (series and sop
/// may be empty), as multipart or, for one instance, single-part.
void retrieve(call& c, const http::request& req, std::string_view study,
              std::string_view series, std::string_view sop, http::responder respond);
/// WADO-RS frames `list` ("1,3") of an instance.
void frames(call& c, const http::request& req, std::string_view study, std::string_view series,
            std::string_view sop, std::string_view list, http::responder respond);
/// WADO-RS rendered: frame `frame` (1-based) as JPEG or PNG.
void rendered(call& c, const http::request& req, std::string_view study, std::string_view series,
              std::string_view sop, std::uint32_t frame, http::responder respond);
/// WADO-RS metadata of a study, series or instance.
void metadata(call& c, const http::request& req, std::string_view study,
              std::string_view series, std::string_view sop, http::responder respond);
/// QIDO-RS; `level` is "studies", "series" or "instances", under a study
/// and series when given.
void search(call& c, const http::request& req, std::string_view level,
            std::string_view study, std::string_view series, http::responder respond);
void remove(call& c, std::string_view study, std::string_view series, std::string_view sop,
            http::responder respond);
/// extendedquerytags[/{tag}[/errors]] (`rest` after "extendedquerytags").
void query_tags(call& c, http::request& req, std::span<const std::string> rest,
                http::responder respond);
/// operations/{id}: 202 while running, 200 once done.
void operation(call& c, const std::string& id, http::responder respond);
/// GET changefeed (v1 or v2 paging) and changefeed/latest.
void changefeed(call& c, const http::request& req, bool v2, bool latest,
                http::responder respond);

} // namespace atrium::actors::dicomweb
