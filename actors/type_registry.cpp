#include "actors/type_registry.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/actors.hpp"

namespace atrium::actors {

const char* service_kind_collection(service_kind k) {
  switch (k) {
    case service_kind::fhir: return "fhirservices";
    case service_kind::dicom: return "dicomservices";
    case service_kind::iot: return "iotconnectors";
  }
  return "";
}

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<storage::write_op>("atrium.write_op")
    .add_message_type<std::vector<storage::write_op>>("std::vector<atrium.write_op>")
    .add_message_type<storage::resource_record>("atrium.resource_record")
    .add_message_type<reply_status>("atrium.reply_status")
    .add_message_type<write_request>("atrium.write_request")
    .add_message_type<write_ack>("atrium.write_ack")
    .add_message_type<storage::index::entry>("atrium.index_entry")
    .add_message_type<std::vector<storage::index::entry>>("std::vector<atrium.index_entry>")
    .add_message_type<history_query>("atrium.history_query")
    .add_message_type<fhir_request>("atrium.fhir_request")
    .add_message_type<history_item>("atrium.history_item")
    .add_message_type<std::vector<history_item>>("std::vector<atrium.history_item>")
    .add_message_type<search_hit>("atrium.search_hit")
    .add_message_type<std::vector<search_hit>>("std::vector<atrium.search_hit>")
    .add_message_type<bundle_entry_result>("atrium.bundle_entry_result")
    .add_message_type<std::vector<bundle_entry_result>>("std::vector<atrium.bundle_entry_result>")
    .add_message_type<fhir_reply>("atrium.fhir_reply")
    .add_message_type<dicom::attribute>("atrium.dicom_attribute")
    .add_message_type<std::vector<dicom::attribute>>("std::vector<atrium.dicom_attribute>")
    .add_message_type<dicom::instance>("atrium.dicom_instance")
    .add_message_type<dicom_request>("atrium.dicom_request")
    .add_message_type<dicom_reply>("atrium.dicom_reply")
    .add_message_type<mgmt_request>("atrium.mgmt_request")
    .add_message_type<mgmt_reply>("atrium.mgmt_reply");
}

} // namespace atrium::actors
