#include "core/cpp_only.hpp"

#include "core/fetch/backdrops.hpp"

#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/normalize/jikan_pictures.hpp"

namespace tako {

namespace {

using nlohmann::json;

// The MAL id of a normalized Jikan item (details.malId), or 0 when it has none worth asking for.
long mal_id_of(const json &item) {
    if (!item.is_object()) return 0;
    auto details = item.find("details");
    if (details == item.end() || !details->is_object()) return 0;
    auto id = details->find("malId");
    if (id == details->end() || !id->is_number_integer()) return 0;
    if (id->is_number_unsigned())
        return id->get<std::uint64_t>() <= static_cast<std::uint64_t>(LONG_MAX) ? id->get<long>()
                                                                                : 0;
    return id->get<std::int64_t>() > 0 ? id->get<long>() : 0;
}

FetchedPicture picture_of(long mal_id, const Job &job, const UpstreamSettings &settings) {
    FetchedPicture picture;
    picture.mal_id = mal_id;
    picture.attempts = job.attempts;
    picture.http_status = job.response.status;
    if (job.verdict.outcome != Outcome::Ok) {
        picture.outcome = job.verdict.outcome;
        picture.error = redact_secrets(job.verdict.error, settings);
        if (job.attempts > 1)
            picture.error += " (after " + std::to_string(job.attempts) + " attempts)";
        return picture;
    }
    try {
        picture.url = normalize_jikan_pictures(job.verdict.body);
    } catch (const Error &e) {
        picture.outcome = Outcome::InvalidResponse;
        picture.error = e.what();
    }
    return picture;
}

}  // namespace

namespace {

bool enriched(const ParsedKey &key, const ListResult &result, const FetchOptions &options) {
    return options.jikan_backdrops && options.normalize && result.outcome == Outcome::Ok &&
           result.items.is_array() && enriches_backdrops(key);
}

// Writes details.backdrop into every item of an enriched list: the URL `url_of` gives, or null.
template <typename UrlOf>
void write_backdrops(ListResult &result, UrlOf url_of) {
    for (json &item : result.items) {
        if (!item.is_object() || !item["details"].is_object()) continue;
        const std::optional<std::string> url = url_of(mal_id_of(item));
        item["details"]["backdrop"] = url ? json(*url) : json(nullptr);
    }
}

// The backdrop options.known_backdrops knows of anime `id`, else what `fetched` got, else null.
std::optional<std::string> backdrop_of(const FetchOptions &options,
                                       const std::map<long, std::optional<std::string>> &fetched,
                                       long id) {
    if (auto known = options.known_backdrops.find(id); known != options.known_backdrops.end())
        return known->second;
    auto got = fetched.find(id);
    return got != fetched.end() ? got->second : std::nullopt;
}

}  // namespace

void add_known_backdrops(const ParsedKey &key, ListResult &result, const FetchOptions &options) {
    if (!enriched(key, result, options)) return;
    for (const json &item : result.items) {
        const long id = mal_id_of(item);
        if (id != 0 && !options.known_backdrops.count(id)) result.backdrops_pending = true;
    }
    write_backdrops(result, [&](long id) { return backdrop_of(options, {}, id); });
}

void add_backdrops(const std::deque<ParsedKey> &keys, std::deque<ListResult> &results,
                   const UpstreamSettings &settings, const FetchOptions &options, Runner &runner,
                   std::size_t from) {
    std::vector<std::size_t> lists;
    for (std::size_t i = from; i < results.size(); ++i)
        if (enriched(keys[i], results[i], options)) lists.push_back(i);
    if (lists.empty()) return;

    // One request per anime that is neither known nor already asked for by an earlier list, at
    // most options.max_pictures for each list (the others stay null until a later fetch).
    std::vector<long> ids;
    std::vector<std::size_t> reported_with;  // the list each request is reported with
    std::set<long> asked;
    for (std::size_t list : lists) {
        std::size_t asked_here = 0;
        for (const json &item : results[list].items) {
            const long id = mal_id_of(item);
            if (id == 0 || options.known_backdrops.count(id) || asked.count(id)) continue;
            if (asked_here++ == options.max_pictures) break;
            asked.insert(id);
            ids.push_back(id);
            reported_with.push_back(list);
        }
    }
    std::vector<Job> jobs(ids.size());
    std::vector<Job *> to_run;
    for (std::size_t k = 0; k < ids.size(); ++k) {
        jobs[k].index = k;
        jobs[k].provider = "jikan";
        jobs[k].read_through = options.policy(reported_with[k]).read_through;
        jobs[k].request = build_jikan_pictures_request(settings, ids[k]);
        to_run.push_back(&jobs[k]);
    }
    if (!to_run.empty()) runner.run(to_run);

    std::map<long, std::optional<std::string>> fetched;
    for (std::size_t k = 0; k < ids.size(); ++k) {
        FetchedPicture picture = picture_of(ids[k], jobs[k], settings);
        fetched[ids[k]] = picture.url;
        results[reported_with[k]].pictures.push_back(std::move(picture));
    }

    for (std::size_t list : lists)
        write_backdrops(results[list], [&](long id) { return backdrop_of(options, fetched, id); });
}

}  // namespace tako
