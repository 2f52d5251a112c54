// The tako_cache side of the parity check: every case of cases.json goes through the core's real
// fetch path (fetch_lists: request, HTTP, judging, normalize_list, the Jikan backdrop enrichment)
// against the loopback server of the unit tests (test/unit/loopback_server.hpp), which answers the
// case's request with its recording and every /anime/{id}/pictures with the pictures recording.
//
//   cache_side CASES_JSON FIXTURES_DIR OUT_JSON [LOCALE]
//
// Writes {cases: [{fixture, key, items}]}: the items tako_cache would store for that key.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/fetch/fetch.hpp"
#include "core/key.hpp"
#include "core/normalize/locale.hpp"
#include "core/request/request.hpp"
#include "loopback_server.hpp"

namespace {

using nlohmann::json;
using tako::test::LoopbackServer;
using tako::test::Reply;

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// No rate limits, budgets or interrupts: one process, a local server.
class Environment : public tako::FetchEnvironment {
public:
    bool interrupted() override { return false; }
    tako::SteadyTime reserve_slot(std::string_view, tako::SteadyTime earliest) override {
        return earliest;
    }
    void hold_provider(std::string_view, tako::SteadyTime) override {}
    std::optional<std::string> igdb_token(tako::SystemTime) override { return token_; }
    void store_igdb_token(const std::string &token, tako::SystemTime) override { token_ = token; }
    void forget_igdb_token(const std::string &) override { token_.reset(); }
    bool take_request(std::string_view, bool) override { return true; }
    void report_outcome(std::string_view, std::string_view, tako::Outcome,
                        const std::string &) override {}
    tako::SystemTime paused_until(std::string_view) override { return {}; }

private:
    std::optional<std::string> token_;
};

// The path (no query) of `url` on the loopback server.
std::string path_of(const std::string &url, const std::string &base) {
    std::string rest = url.substr(base.size());
    return rest.substr(0, rest.find('?'));
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 4) {
        std::cerr << "usage: cache_side CASES_JSON FIXTURES_DIR OUT_JSON [fr-FR|en-US]\n";
        return 2;
    }
    try {
        const json cases = json::parse(read_file(argv[1]));
        const std::string fixtures = argv[2];
        const std::string pictures =
            read_file(fixtures + "/" + cases["pictures"].get<std::string>());

        LoopbackServer server;
        const std::string base = server.base();
        tako::UpstreamSettings settings;
        settings.tmdb_base_url = base + "/tmdb";
        settings.jikan_base_url = base + "/jikan";
        settings.rawg_base_url = base + "/rawg";
        settings.igdb_base_url = base + "/igdb";
        settings.deezer_base_url = base + "/deezer";
        settings.itunes_base_url = base + "/itunes";
        settings.igdb_token_url = base + "/oauth2/token";
        settings.tmdb_api_key = settings.rawg_api_key = "parity";
        settings.igdb_client_id = settings.igdb_client_secret = "parity";
        settings.tmdb_language = "fr-FR";
        if (argc > 4) settings.locale = tako::locale_from_setting(argv[4]);
        server.on("/oauth2/token",
                  Reply::json(200, R"({"access_token":"parity","expires_in":5000000})"));

        tako::FetchOptions options;
        options.http.connect_timeout_ms = 5000;
        options.http.timeout_ms = 10000;
        options.retry.max_attempts = 1;
        Environment env;

        json out = {{"locale", tako::locale_name(settings.locale)}, {"cases", json::array()}};
        for (const json &c : cases["cases"]) {
            const std::string fixture = c["fixture"], key_text = c["key"];
            const std::string body = read_file(fixtures + "/" + fixture);
            const tako::ParsedKey key = tako::parse_key(key_text);
            const tako::HttpRequest request =
                tako::build_list_request(key, settings, "parity", std::chrono::system_clock::now());
            server.on(path_of(request.url, base), Reply::json(200, body));
            const json raw = json::parse(body);
            if (key.provider() == "jikan" && raw["data"].is_array())
                for (const json &anime : raw["data"])
                    if (anime.contains("mal_id"))
                        server.on("/jikan/anime/" + anime["mal_id"].dump() + "/pictures",
                                  Reply::json(200, pictures));

            const tako::ListResult r = tako::fetch_lists({key}, settings, options, env).at(0);
            if (r.outcome != tako::Outcome::Ok)
                throw std::runtime_error(key_text + " on " + fixture + ": " + r.error);
            out["cases"].push_back({{"fixture", fixture}, {"key", key_text}, {"items", r.items}});
        }
        std::ofstream(argv[3]) << out.dump(1) << "\n";
        std::cout << "tako_cache side: " << out["cases"].size() << " cases written to " << argv[3]
                  << " (locale " << tako::locale_name(settings.locale) << ")\n";
        return 0;
    } catch (const std::exception &e) {
        std::cerr << "cache_side: " << e.what() << "\n";
        return 1;
    }
}
