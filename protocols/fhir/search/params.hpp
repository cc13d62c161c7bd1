#pragma once
// Search parameters: R4's built-in ones (data/fhir-r4/search-parameters.json,
// embedded at build time) and custom ones posted to a service as
// SearchParameter resources.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/common/text_hash.hpp"

namespace atrium::fhir::search {

enum class param_type : std::uint8_t {
  number, date, string, token, reference, composite, quantity, uri, special
};
const char* param_type_name(param_type t) noexcept; // "token"
std::optional<param_type> parse_param_type(std::string_view name) noexcept;

struct param_component {
  std::string definition; // canonical URL of the component's parameter
  std::string expression; // FHIRPath relative to the composite's value
  bool operator==(const param_component&) const = default;
};

struct search_param {
  std::string url;        // canonical URL, unique
  std::string code;       // name in queries ("birthdate")
  param_type type = param_type::string;
  std::vector<std::string> base;    // resource types ("Resource" and "DomainResource" mean all)
  std::string expression;           // FHIRPath; empty for special/_text etc.
  std::vector<std::string> targets; // reference: allowed target types (empty = any)
  std::vector<param_component> components; // composite only
  bool retired = false; // status "retired": kept, but never activated
  /// What names the parameter's entries in the index (hashed into keys):
  /// empty for R4's, which use their url; for a custom parameter its url
  /// and a digest of its definition, so that a changed definition gets
  /// entries of its own and never reads the old one's (parse_param sets it).
  std::string index_key;

  std::string_view index_name() const noexcept { return index_key.empty() ? url : index_key; }

  bool operator==(const search_param&) const = default;
};

/// Whether the index serves `p`: not a special parameter, and an expression
/// that names what to index. R4's _text, _content and _query have none;
/// searched, they would match nothing, silently.
bool is_indexed(const search_param& p) noexcept;

/// A set of search parameters with lookup by (resource type, code). A type
/// sees its own parameters and those based on Resource and DomainResource
/// (DomainResource ones only for types other than Bundle, Binary and
/// Parameters, which are not domain resources).
class param_registry {
public:
  /// R4's built-in parameters, parsed once (thread-safe, immutable).
  static const param_registry& r4();

  /// Parses a Bundle of SearchParameter resources (the shape of
  /// search-parameters.json). Entries without code, type or base are errors.
  static result<param_registry> from_bundle(std::string_view json);

  /// Parses one SearchParameter resource (custom parameters; sets index_key).
  static result<search_param> parse_param(std::string_view json);

  /// Adds or replaces (same url) a parameter.
  void add(search_param p);

  /// A copy of this registry with `custom` added (a service's registry: R4's
  /// parameters plus the SearchParameters it activated by $reindex).
  param_registry extended(const std::vector<search_param>& custom) const;

  /// Identifies this registry's contents for caches keyed by registry: never
  /// reused, and a copy or a change gets a new one.
  std::uint64_t uid() const noexcept { return uid_; }

  param_registry();
  param_registry(param_registry&&) noexcept = default;
  param_registry& operator=(param_registry&&) noexcept = default;

  const search_param* find(std::string_view type, std::string_view code) const;
  const search_param* find_url(std::string_view url) const;
  /// Every parameter that applies to `type`, in a stable order.
  std::vector<const search_param*> for_type(std::string_view type) const;
  std::size_t size() const noexcept { return params_.size(); }

  /// The parameter whose index entries serve `p` on `type`: `p` itself, or
  /// an earlier parameter of the type with the same type and, for `type`,
  /// the same expression (R4's Patient `phonetic` is Patient `name`). Its
  /// values are p's by definition, so p is not extracted and searches read
  /// the twin's entries: one set of index keys per write instead of two.
  /// The earlier one is kept so that an added twin finds what is indexed.
  const search_param& indexed_as(std::string_view type, const search_param& p) const;

  /// The parameter whose entries serve `p` on `type`, with the tag that
  /// marks p's values among them, when p is a part of it: a string parameter
  /// on one text field of what the parent yields (R4's Patient `family` is
  /// `Patient.name` + `.family`), or a token parameter on the contact points
  /// of one system (`phone` is `Patient.telecom` + `.where(system='phone')`).
  /// The extractor tags such values (string_part_tag, contact_system_tag),
  /// so p is not extracted: searches read the parent's entries with p's tag.
  /// Fewer keys per write, as with twins.
  struct served_part {
    const search_param* parent = nullptr;
    std::uint8_t tag = 0;
  };
  std::optional<served_part> part_of(std::string_view type, const search_param& p) const;

  /// Where `p`'s values on `type` are in the index: the parameter whose
  /// entries hold them (through twins and string parts) and, for a string
  /// part, the tag of its entries there (0: all of them).
  served_part source_of(std::string_view type, const search_param& p) const;

  /// The parameters whose entries together hold `p`'s values on `type`, when
  /// p's expression is the union of theirs (R4's Observation `combo-code` is
  /// `code` | `component-code`; `combo-code-value-quantity` is
  /// `code-value-quantity` | `component-code-value-quantity`): same type,
  /// components with the same paths and value types, each one's branches a
  /// proper subset of p's, together all of them. p is then not extracted, and
  /// searches (and :missing, :not, _sort) read the halves' entries.
  /// Empty for any other parameter. Token, quantity and composite only.
  const std::vector<const search_param*>& union_of(std::string_view type,
                                                   const search_param& p) const;

  /// The parameter whose entries hold some of `p`'s references on `type`,
  /// when p narrows it to one target type: p is R4's `X.where(resolve() is
  /// T)` and the type has an R4 reference parameter `X` (Observation
  /// `patient` narrows `subject`, Encounter `practitioner` narrows
  /// `participant`). p's local references to T ("T/id", `target_prefix`)
  /// are exactly the parent's, so p's entries leave them out and searches
  /// read the parent's entries that start with "T/" besides p's own, which
  /// keep the rest of p's values (absolute URLs, contained references,
  /// identifiers). Stores written before hold both; a search unites them.
  struct narrowed_reference {
    const search_param* parent = nullptr;
    std::string target_prefix; // "T/"
  };
  const narrowed_reference* narrowed_of(std::string_view type, const search_param& p) const;

private:
  void add_one(search_param p);
  void find_twins(const search_param& p);
  void find_derived(); // parts, unions and narrowed references
  void find_parts();
  void find_unions();
  void find_narrowings();
  void rebuild();

  std::uint64_t uid_;
  std::vector<std::unique_ptr<search_param>> params_;
  // "Type\0code" → param; base types stored under their own name.
  std::unordered_map<std::string, const search_param*> by_type_code_;
  std::unordered_map<std::string, const search_param*, text_hash, std::equal_to<>> by_url_;
  // "Type\0url" → the twin whose entries serve it (indexed_as).
  std::unordered_map<std::string, const search_param*> twin_of_;
  // What a parameter indexes on one type (twin_signature) → its first holder.
  std::unordered_map<std::string, const search_param*> by_signature_;
  // "Type\0url" → the parameter and tag that serve it (part_of).
  std::unordered_map<std::string, served_part> part_of_;
  // "Type\0url" → the parameters whose entries together serve it (union_of).
  std::unordered_map<std::string, std::vector<const search_param*>> union_of_;
  // "Type\0url" → the parameter it narrows, and to which targets (narrowed_of).
  std::unordered_map<std::string, narrowed_reference> narrowed_of_;
};

/// The tag (1…31) of strings taken from text field `field` of a complex
/// value (HumanName family, given, prefix, suffix, text; Address line, city,
/// district, state, postalCode, country), 0 for any other field. Tags are
/// stored in index keys: never renumber them.
std::uint8_t string_part_tag(std::string_view field) noexcept;

/// The tag (1…7) of a ContactPoint token by its system (phone, fax, email,
/// pager, url, sms, other), 0 for none or another. Stored in index keys.
std::uint8_t contact_system_tag(std::string_view system) noexcept;

/// Whether custom parameter `p` can join `base` (R4's registry): its
/// expressions compile, its url is not one of base's, and none of its base
/// types already has a parameter with its code.
status check_custom_param(const param_registry& base, const search_param& p);

} // namespace atrium::fhir::search
