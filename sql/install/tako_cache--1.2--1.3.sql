-- tako_cache 1.2 → 1.3: no caller can spend the upstream quota or grow the cache without bound.
--
-- * Platform lists have one form (numeric order, each id once, at most 8: the C key grammar) and
--   their ids must be the provider's real platforms (tako_platforms, editable).
-- * Read-through fetches at most tako_cache.new_keys_per_hour keys per hour and provider that are
--   neither cached nor warm (shared memory); past it, SQLSTATE TK429.
-- * Every save of a list sends NOTIFY tako_cache, '<key>'.
-- * Each provider has a daily request budget (tako_cache.<provider>_daily_requests) shared by every
--   session and kept across restarts (tako_request_usage); read-through leaves the schedule its
--   share (tako_cache.scheduled_reserve_percent). A spent budget is outcome quota_exhausted.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.3'" to load this file. \quit

------------------------------------------------------------------------------------------------
-- Platforms
------------------------------------------------------------------------------------------------

CREATE TABLE @extschema@.tako_platforms (
    provider text NOT NULL CHECK (provider IN ('rawg', 'igdb')),
    id       integer NOT NULL CHECK (id > 0),
    name     text NOT NULL,
    slug     text,
    standard boolean NOT NULL DEFAULT false,  -- installed by the extension
    PRIMARY KEY (provider, id)
);
COMMENT ON TABLE @extschema@.tako_platforms IS
    'tako_cache: the RAWG and IGDB platform ids keys may name (editable; from the providers'' published lists)';

-- An INSERT of a platform that is already there updates it instead, so that restoring a pg_dump
-- (which replays these rows after CREATE EXTENSION has pre-filled the standard ones) keeps the
-- dumped state instead of failing on the primary key.
CREATE FUNCTION @extschema@.tako_platforms_upsert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM @extschema@.tako_platforms AS p
                WHERE p.provider = NEW.provider AND p.id = NEW.id) THEN
        UPDATE @extschema@.tako_platforms AS p
           SET name = NEW.name, slug = NEW.slug, standard = NEW.standard
         WHERE p.provider = NEW.provider AND p.id = NEW.id;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_platforms_upsert() IS
    'tako_cache trigger: an INSERT of a known platform updates it (pg_dump restores over the pre-filled rows)';

CREATE TRIGGER tako_platforms_upsert
    BEFORE INSERT ON @extschema@.tako_platforms
    FOR EACH ROW EXECUTE FUNCTION @extschema@.tako_platforms_upsert();

-- RAWG's GET /api/platforms and IGDB's POST /v4/platforms, as recorded in sql/data/platforms.tsv
-- (sources: sql/data/SOURCES.md).
INSERT INTO @extschema@.tako_platforms (provider, id, name, slug, standard)
SELECT v.provider, v.id, v.name, v.slug, true FROM (VALUES
    ('igdb', 3, 'Linux', 'linux'),
    ('igdb', 4, 'Nintendo 64', 'n64'),
    ('igdb', 5, 'Wii', 'wii'),
    ('igdb', 6, 'PC (Microsoft Windows)', 'win'),
    ('igdb', 7, 'PlayStation', 'ps'),
    ('igdb', 8, 'PlayStation 2', 'ps2'),
    ('igdb', 9, 'PlayStation 3', 'ps3'),
    ('igdb', 11, 'Xbox', 'xbox'),
    ('igdb', 12, 'Xbox 360', 'xbox360'),
    ('igdb', 13, 'DOS', 'dos'),
    ('igdb', 14, 'Mac', 'mac'),
    ('igdb', 15, 'Commodore C64/128/MAX', 'c64'),
    ('igdb', 16, 'Amiga', 'amiga'),
    ('igdb', 18, 'Nintendo Entertainment System', 'nes'),
    ('igdb', 19, 'Super Nintendo Entertainment System', 'snes'),
    ('igdb', 20, 'Nintendo DS', 'nds'),
    ('igdb', 21, 'Nintendo GameCube', 'ngc'),
    ('igdb', 22, 'Game Boy Color', 'gbc'),
    ('igdb', 23, 'Dreamcast', 'dc'),
    ('igdb', 24, 'Game Boy Advance', 'gba'),
    ('igdb', 25, 'Amstrad CPC', 'acpc'),
    ('igdb', 26, 'ZX Spectrum', 'zxs'),
    ('igdb', 27, 'MSX', 'msx'),
    ('igdb', 29, 'Sega Mega Drive/Genesis', 'genesis-slash-megadrive'),
    ('igdb', 30, 'Sega 32X', 'sega32'),
    ('igdb', 32, 'Sega Saturn', 'saturn'),
    ('igdb', 33, 'Game Boy', 'gb'),
    ('igdb', 34, 'Android', 'android'),
    ('igdb', 35, 'Sega Game Gear', 'gamegear'),
    ('igdb', 37, 'Nintendo 3DS', '3ds'),
    ('igdb', 38, 'PlayStation Portable', 'psp'),
    ('igdb', 39, 'iOS', 'ios'),
    ('igdb', 41, 'Wii U', 'wiiu'),
    ('igdb', 42, 'N-Gage', 'ngage'),
    ('igdb', 44, 'Tapwave Zodiac', 'zod'),
    ('igdb', 46, 'PlayStation Vita', 'psvita'),
    ('igdb', 47, 'Virtual Console', 'vc'),
    ('igdb', 48, 'PlayStation 4', 'ps4--1'),
    ('igdb', 49, 'Xbox One', 'xboxone'),
    ('igdb', 50, '3DO Interactive Multiplayer', '3do'),
    ('igdb', 51, 'Family Computer Disk System', 'fds'),
    ('igdb', 52, 'Arcade', 'arcade'),
    ('igdb', 53, 'MSX2', 'msx2'),
    ('igdb', 55, 'Legacy Mobile Device', 'mobile'),
    ('igdb', 57, 'WonderSwan', 'wonderswan'),
    ('igdb', 58, 'Super Famicom', 'sfam'),
    ('igdb', 59, 'Atari 2600', 'atari2600'),
    ('igdb', 60, 'Atari 7800', 'atari7800'),
    ('igdb', 61, 'Atari Lynx', 'lynx'),
    ('igdb', 62, 'Atari Jaguar', 'jaguar'),
    ('igdb', 63, 'Atari ST/STE', 'atari-st'),
    ('igdb', 64, 'Sega Master System/Mark III', 'sms'),
    ('igdb', 65, 'Atari 8-bit', 'atari8bit'),
    ('igdb', 66, 'Atari 5200', 'atari5200'),
    ('igdb', 67, 'Intellivision', 'intellivision'),
    ('igdb', 68, 'ColecoVision', 'colecovision'),
    ('igdb', 69, 'BBC Microcomputer System', 'bbcmicro'),
    ('igdb', 70, 'Vectrex', 'vectrex'),
    ('igdb', 71, 'Commodore VIC-20', 'vic-20'),
    ('igdb', 72, 'Ouya', 'ouya'),
    ('igdb', 73, 'BlackBerry OS', 'blackberry'),
    ('igdb', 74, 'Windows Phone', 'winphone'),
    ('igdb', 75, 'Apple II', 'appleii'),
    ('igdb', 77, 'Sharp X1', 'x1'),
    ('igdb', 78, 'Sega CD', 'sega-cd'),
    ('igdb', 79, 'Neo Geo MVS', 'neogeomvs'),
    ('igdb', 80, 'Neo Geo AES', 'neogeoaes'),
    ('igdb', 82, 'Web browser', 'browser'),
    ('igdb', 84, 'SG-1000', 'sg1000'),
    ('igdb', 85, 'Donner Model 30', 'donner30'),
    ('igdb', 86, 'TurboGrafx-16/PC Engine', 'turbografx16--1'),
    ('igdb', 87, 'Virtual Boy', 'virtualboy'),
    ('igdb', 88, 'Odyssey', 'odyssey--1'),
    ('igdb', 89, 'Microvision', 'microvision--1'),
    ('igdb', 90, 'Commodore PET', 'cpet'),
    ('igdb', 91, 'Bally Astrocade', 'astrocade'),
    ('igdb', 93, 'Commodore 16', 'c16'),
    ('igdb', 94, 'Commodore Plus/4', 'c-plus-4'),
    ('igdb', 95, 'PDP-1', 'pdp1'),
    ('igdb', 96, 'PDP-10', 'pdp10'),
    ('igdb', 97, 'PDP-8', 'pdp-8--1'),
    ('igdb', 98, 'DEC GT40', 'gt40'),
    ('igdb', 99, 'Family Computer', 'famicom'),
    ('igdb', 100, 'Analogue electronics', 'analogueelectronics'),
    ('igdb', 101, 'Ferranti Nimrod Computer', 'nimrod'),
    ('igdb', 102, 'EDSAC', 'edsac--1'),
    ('igdb', 103, 'PDP-7', 'pdp-7--1'),
    ('igdb', 104, 'HP 2100', 'hp2100'),
    ('igdb', 105, 'HP 3000', 'hp3000'),
    ('igdb', 106, 'SDS Sigma 7', 'sdssigma7'),
    ('igdb', 107, 'Call-A-Computer time-shared mainframe computer system', 'call-a-computer'),
    ('igdb', 108, 'PDP-11', 'pdp11'),
    ('igdb', 109, 'CDC Cyber 70', 'cdccyber70'),
    ('igdb', 110, 'PLATO', 'plato--1'),
    ('igdb', 111, 'Imlac PDS-1', 'imlac-pds1'),
    ('igdb', 112, 'Microcomputer', 'microcomputer--1'),
    ('igdb', 113, 'OnLive Game System', 'onlive'),
    ('igdb', 114, 'Amiga CD32', 'amiga-cd32'),
    ('igdb', 115, 'Apple IIGS', 'apple-iigs'),
    ('igdb', 116, 'Acorn Archimedes', 'acorn-archimedes'),
    ('igdb', 117, 'Philips CD-i', 'philips-cdi'),
    ('igdb', 118, 'FM Towns', 'fm-towns'),
    ('igdb', 119, 'Neo Geo Pocket', 'neo-geo-pocket'),
    ('igdb', 120, 'Neo Geo Pocket Color', 'neo-geo-pocket-color'),
    ('igdb', 121, 'Sharp X68000', 'sharp-x68000'),
    ('igdb', 122, 'Nuon', 'nuon'),
    ('igdb', 123, 'WonderSwan Color', 'wonderswan-color'),
    ('igdb', 124, 'SwanCrystal', 'swancrystal'),
    ('igdb', 125, 'PC-8800 Series', 'pc-8800-series'),
    ('igdb', 126, 'TRS-80', 'trs-80'),
    ('igdb', 127, 'Fairchild Channel F', 'fairchild-channel-f'),
    ('igdb', 128, 'PC Engine SuperGrafx', 'supergrafx'),
    ('igdb', 129, 'Texas Instruments TI-99', 'ti-99'),
    ('igdb', 130, 'Nintendo Switch', 'switch'),
    ('igdb', 131, 'Super NES CD-ROM System', 'super-nes-cd-rom-system'),
    ('igdb', 132, 'Amazon Fire TV', 'firetv'),
    ('igdb', 133, 'Odyssey 2 / Videopac G7000', 'odyssey-2-slash-videopac-g7000'),
    ('igdb', 134, 'Acorn Electron', 'acorn-electron'),
    ('igdb', 135, 'Hyper Neo Geo 64', 'hyper-neo-geo-64'),
    ('igdb', 136, 'Neo Geo CD', 'neo-geo-cd'),
    ('igdb', 137, 'New Nintendo 3DS', 'new-3ds'),
    ('igdb', 138, 'VC 4000', 'vc-4000'),
    ('igdb', 139, '1292 Advanced Programmable Video System', '1292-advanced-programmable-video-system'),
    ('igdb', 140, 'AY-3-8500', 'ay-3-8500'),
    ('igdb', 141, 'AY-3-8610', 'ay-3-8610'),
    ('igdb', 142, 'PC-50X Family', 'pc-50x-family'),
    ('igdb', 143, 'AY-3-8760', 'ay-3-8760'),
    ('igdb', 144, 'AY-3-8710', 'ay-3-8710'),
    ('igdb', 145, 'AY-3-8603', 'ay-3-8603'),
    ('igdb', 146, 'AY-3-8605', 'ay-3-8605'),
    ('igdb', 147, 'AY-3-8606', 'ay-3-8606'),
    ('igdb', 148, 'AY-3-8607', 'ay-3-8607'),
    ('igdb', 149, 'PC-9800 Series', 'pc-9800-series'),
    ('igdb', 150, 'Turbografx-16/PC Engine CD', 'turbografx-16-slash-pc-engine-cd'),
    ('igdb', 151, 'TRS-80 Color Computer', 'trs-80-color-computer'),
    ('igdb', 152, 'FM-7', 'fm-7'),
    ('igdb', 153, 'Dragon 32/64', 'dragon-32-slash-64'),
    ('igdb', 154, 'Amstrad PCW', 'apcw'),
    ('igdb', 155, 'Tatung Einstein', 'tatung-einstein'),
    ('igdb', 156, 'Thomson MO5', 'thomson-mo5'),
    ('igdb', 157, 'NEC PC-6000 Series', 'nec-pc-6000-series'),
    ('igdb', 158, 'Commodore CDTV', 'commodore-cdtv'),
    ('igdb', 159, 'Nintendo DSi', 'nintendo-dsi'),
    ('igdb', 161, 'Windows Mixed Reality', 'windows-mixed-reality'),
    ('igdb', 162, 'Oculus VR', 'oculus-vr'),
    ('igdb', 163, 'SteamVR', 'steam-vr'),
    ('igdb', 164, 'Daydream', 'daydream'),
    ('igdb', 165, 'PlayStation VR', 'psvr'),
    ('igdb', 166, 'Pokémon mini', 'pokemon-mini'),
    ('igdb', 167, 'PlayStation 5', 'ps5'),
    ('igdb', 169, 'Xbox Series X|S', 'series-x-s'),
    ('igdb', 170, 'Google Stadia', 'stadia'),
    ('igdb', 203, 'DUPLICATE Stadia', 'duplicate-stadia'),
    ('igdb', 236, 'Exidy Sorcerer', 'exidy-sorcerer'),
    ('igdb', 237, 'Sol-20', 'sol-20'),
    ('igdb', 238, 'DVD Player', 'dvd-player'),
    ('igdb', 239, 'Blu-ray Player', 'blu-ray-player'),
    ('igdb', 240, 'Zeebo', 'zeebo'),
    ('igdb', 274, 'PC-FX', 'pc-fx'),
    ('igdb', 306, 'Satellaview', 'satellaview'),
    ('igdb', 307, 'Game & Watch', 'g-and-w'),
    ('igdb', 308, 'Playdia', 'playdia'),
    ('igdb', 309, 'Evercade', 'evercade'),
    ('igdb', 339, 'Sega Pico', 'sega-pico'),
    ('igdb', 372, 'OOParts', 'ooparts'),
    ('igdb', 373, 'Sinclair ZX81', 'sinclair-zx81'),
    ('igdb', 374, 'Sharp MZ-2200', 'sharp-mz-2200'),
    ('igdb', 375, 'Epoch Cassette Vision', 'epoch-cassette-vision'),
    ('igdb', 376, 'Epoch Super Cassette Vision', 'epoch-super-cassette-vision'),
    ('igdb', 377, 'Plug & Play', 'plug-and-play'),
    ('igdb', 378, 'Gamate', 'gamate'),
    ('igdb', 379, 'Game.com', 'game-dot-com'),
    ('igdb', 380, 'Casio Loopy', 'casio-loopy'),
    ('igdb', 381, 'Playdate', 'playdate'),
    ('igdb', 382, 'Intellivision Amico', 'intellivision-amico'),
    ('igdb', 384, 'Oculus Quest', 'oculus-quest'),
    ('igdb', 385, 'Oculus Rift', 'oculus-rift'),
    ('igdb', 386, 'Meta Quest 2', 'meta-quest-2'),
    ('igdb', 387, 'Oculus Go', 'oculus-go'),
    ('igdb', 388, 'Gear VR', 'gear-vr'),
    ('igdb', 389, 'AirConsole', 'airconsole'),
    ('igdb', 390, 'PlayStation VR2', 'psvr2'),
    ('igdb', 405, 'Windows Mobile', 'windows-mobile'),
    ('igdb', 406, 'Sinclair QL', 'sinclair-ql'),
    ('igdb', 407, 'HyperScan', 'hyperscan'),
    ('igdb', 408, 'Mega Duck/Cougar Boy', 'mega-duck-slash-cougar-boy'),
    ('igdb', 409, 'Legacy Computer', 'legacy-computer'),
    ('igdb', 410, 'Atari Jaguar CD', 'atari-jaguar-cd'),
    ('igdb', 411, 'Handheld Electronic LCD', 'handheld'),
    ('igdb', 412, 'Leapster', 'leapster'),
    ('igdb', 413, 'Leapster Explorer/LeadPad Explorer', 'leapster-explorer-slash-leadpad-explorer'),
    ('igdb', 414, 'LeapTV', 'leaptv'),
    ('igdb', 415, 'Watara/QuickShot Supervision', 'watara-slash-quickshot-supervision'),
    ('igdb', 416, '64DD', '64dd'),
    ('igdb', 417, 'Palm OS', 'palm-os'),
    ('igdb', 438, 'Arduboy', 'arduboy'),
    ('igdb', 439, 'V.Smile', 'vsmile'),
    ('igdb', 440, 'Visual Memory Unit / Visual Memory System', 'visual-memory-unit-slash-visual-memory-system'),
    ('igdb', 441, 'PocketStation', 'pocketstation'),
    ('igdb', 471, 'Meta Quest 3', 'meta-quest-3'),
    ('igdb', 472, 'visionOS', 'visionos'),
    ('igdb', 473, 'Arcadia 2001', 'arcadia-2001'),
    ('igdb', 474, 'Gizmondo', 'gizmondo'),
    ('igdb', 475, 'R-Zone', 'r-zone'),
    ('igdb', 476, 'Apple Pippin', 'apple-pippin'),
    ('igdb', 477, 'Panasonic Jungle', 'panasonic-jungle'),
    ('igdb', 478, 'Panasonic M2', 'panasonic-m2'),
    ('igdb', 479, 'Terebikko / See ''n Say Video Phone', 'terebikko-slash-see-n-say-video-phone'),
    ('igdb', 480, 'Super A''Can', 'super-acan'),
    ('igdb', 481, 'Tomy Tutor / Pyuta / Grandstand Tutor', 'tomy-tutor-slash-pyuta-slash-grandstand-tutor'),
    ('igdb', 482, 'Sega CD 32X', 'sega-cd-32x'),
    ('igdb', 486, 'Digiblast', 'digiblast'),
    ('igdb', 487, 'LaserActive', 'laseractive'),
    ('igdb', 504, 'Uzebox', 'uzebox'),
    ('igdb', 505, 'Elektor TV Games Computer', 'elektor-tv-games-computer'),
    ('igdb', 506, 'Amstrad GX4000', 'gx4000'),
    ('igdb', 507, 'Advanced Pico Beena', 'advanced-pico-beena'),
    ('igdb', 508, 'Nintendo Switch 2', 'switch-2'),
    ('igdb', 509, 'Polymega', 'polymega'),
    ('igdb', 510, 'e-Reader / Card-e Reader', 'e-reader-slash-card-e-reader'),
    ('rawg', 1, 'Xbox One', 'xbox-one'),
    ('rawg', 3, 'iOS', 'ios'),
    ('rawg', 4, 'PC', 'pc'),
    ('rawg', 5, 'macOS', 'macos'),
    ('rawg', 6, 'Linux', 'linux'),
    ('rawg', 7, 'Nintendo Switch', 'nintendo-switch'),
    ('rawg', 8, 'Nintendo 3DS', 'nintendo-3ds'),
    ('rawg', 9, 'Nintendo DS', 'nintendo-ds'),
    ('rawg', 10, 'Wii U', 'wii-u'),
    ('rawg', 11, 'Wii', 'wii'),
    ('rawg', 12, 'Neo Geo', 'neogeo'),
    ('rawg', 13, 'Nintendo DSi', 'nintendo-dsi'),
    ('rawg', 14, 'Xbox 360', 'xbox360'),
    ('rawg', 15, 'PlayStation 2', 'playstation2'),
    ('rawg', 16, 'PlayStation 3', 'playstation3'),
    ('rawg', 17, 'PSP', 'psp'),
    ('rawg', 18, 'PlayStation 4', 'playstation4'),
    ('rawg', 19, 'PS Vita', 'ps-vita'),
    ('rawg', 21, 'Android', 'android'),
    ('rawg', 22, 'Atari Flashback', 'atari-flashback'),
    ('rawg', 23, 'Atari 2600', 'atari-2600'),
    ('rawg', 24, 'Game Boy Advance', 'game-boy-advance'),
    ('rawg', 25, 'Atari 8-bit', 'atari-8-bit'),
    ('rawg', 26, 'Game Boy', 'game-boy'),
    ('rawg', 27, 'PlayStation', 'playstation1'),
    ('rawg', 28, 'Atari 7800', 'atari-7800'),
    ('rawg', 31, 'Atari 5200', 'atari-5200'),
    ('rawg', 34, 'Atari ST', 'atari-st'),
    ('rawg', 41, 'Apple II', 'apple-ii'),
    ('rawg', 43, 'Game Boy Color', 'game-boy-color'),
    ('rawg', 46, 'Atari Lynx', 'atari-lynx'),
    ('rawg', 49, 'NES', 'nes'),
    ('rawg', 50, 'Atari XEGS', 'atari-xegs'),
    ('rawg', 55, 'Classic Macintosh', 'macintosh'),
    ('rawg', 74, 'SEGA Master System', 'sega-master-system'),
    ('rawg', 77, 'Game Gear', 'game-gear'),
    ('rawg', 79, 'SNES', 'snes'),
    ('rawg', 80, 'Xbox', 'xbox-old'),
    ('rawg', 83, 'Nintendo 64', 'nintendo-64'),
    ('rawg', 105, 'GameCube', 'gamecube'),
    ('rawg', 106, 'Dreamcast', 'dreamcast'),
    ('rawg', 107, 'SEGA Saturn', 'sega-saturn'),
    ('rawg', 111, '3DO', '3do'),
    ('rawg', 112, 'Jaguar', 'jaguar'),
    ('rawg', 117, 'SEGA 32X', 'sega-32x'),
    ('rawg', 119, 'SEGA CD', 'sega-cd'),
    ('rawg', 166, 'Commodore / Amiga', 'commodore-amiga'),
    ('rawg', 167, 'Genesis', 'genesis'),
    ('rawg', 171, 'Web', 'web'),
    ('rawg', 186, 'Xbox Series S/X', 'xbox-series-x'),
    ('rawg', 187, 'PlayStation 5', 'playstation5')
) AS v(provider, id, name, slug);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.tako_platforms', '');

-- ERROR 22023 naming the first platform id of `key` that is not one of its provider's platforms.
CREATE FUNCTION @extschema@.tako_require_platforms(key text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    info jsonb := @extschema@.tako_key_info(key);
    unknown integer;
BEGIN
    IF coalesce(info->'params'->>'platforms', 'all') = 'all' THEN
        RETURN;
    END IF;
    SELECT i INTO unknown
      FROM unnest(string_to_array(info->'params'->>'platforms', ',')::integer[]) AS i
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.tako_platforms AS p
                        WHERE p.provider = info->>'provider' AND p.id = i)
     ORDER BY i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid cache key "%": unknown % platform id %', info->>'key', info->>'provider', unknown
            USING ERRCODE = '22023',
                  HINT = format('The %s platform ids are the rows of tako_platforms.', info->>'provider');
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_require_platforms(text) IS
    'tako_cache: ERROR 22023 naming the first platform id of a key that tako_platforms does not list';

CREATE OR REPLACE FUNCTION @extschema@.tako_warm_keys_upsert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.tako_require_canonical_key(NEW.cache_key);
    PERFORM @extschema@.tako_require_platforms(NEW.cache_key);
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM @extschema@.tako_warm_keys AS w
                                     WHERE w.cache_key = NEW.cache_key) THEN
        UPDATE @extschema@.tako_warm_keys AS w
           SET enabled = NEW.enabled, standard = NEW.standard, added_at = NEW.added_at
         WHERE w.cache_key = NEW.cache_key;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

------------------------------------------------------------------------------------------------
-- Keys saved by 1.2 in another order are carried to their one form (merged when both exist)
------------------------------------------------------------------------------------------------

DO $$
DECLARE
    r record;
    canonical text;
BEGIN
    FOR r IN SELECT c.id, c.cache_key::text AS cache_key FROM @extschema@.discovery_cache AS c
              WHERE c.provider IN ('rawg', 'igdb') ORDER BY c.id LOOP
        BEGIN
            canonical := @extschema@.tako_canonical_key(r.cache_key);
        EXCEPTION WHEN invalid_parameter_value THEN
            -- More platforms than a key may name now: nobody can ask for this list any more.
            DELETE FROM @extschema@.discovery_cache AS c WHERE c.id = r.id;
            CONTINUE;
        END;
        CONTINUE WHEN canonical = r.cache_key;
        IF EXISTS (SELECT 1 FROM @extschema@.discovery_cache AS c WHERE c.cache_key = canonical) THEN
            -- One list, two rows: keep the newer data and every hit of both.
            UPDATE @extschema@.discovery_cache AS keep
               SET data = CASE WHEN old.updated_at > keep.updated_at THEN old.data ELSE keep.data END,
                   upstream = CASE WHEN old.updated_at > keep.updated_at THEN old.upstream ELSE keep.upstream END,
                   expires_at = greatest(keep.expires_at, old.expires_at),
                   fetch_count = keep.fetch_count + old.fetch_count,
                   last_accessed = greatest(keep.last_accessed, old.last_accessed),
                   created_at = least(keep.created_at, old.created_at)
              FROM @extschema@.discovery_cache AS old
             WHERE keep.cache_key = canonical AND old.id = r.id;
            DELETE FROM @extschema@.discovery_cache AS c WHERE c.id = r.id;
        ELSE
            UPDATE @extschema@.discovery_cache AS c SET cache_key = canonical WHERE c.id = r.id;
        END IF;
    END LOOP;
    FOR r IN SELECT w.cache_key FROM @extschema@.tako_warm_keys AS w
              WHERE split_part(w.cache_key, ':', 1) IN ('rawg', 'igdb') LOOP
        BEGIN
            canonical := @extschema@.tako_canonical_key(r.cache_key);
        EXCEPTION WHEN invalid_parameter_value THEN
            DELETE FROM @extschema@.tako_warm_keys AS w WHERE w.cache_key = r.cache_key;
            CONTINUE;
        END;
        CONTINUE WHEN canonical = r.cache_key;
        IF EXISTS (SELECT 1 FROM @extschema@.tako_warm_keys AS w WHERE w.cache_key = canonical) THEN
            DELETE FROM @extschema@.tako_warm_keys AS w WHERE w.cache_key = r.cache_key;
        ELSE
            ALTER TABLE @extschema@.tako_warm_keys DISABLE TRIGGER tako_warm_keys_upsert;
            UPDATE @extschema@.tako_warm_keys AS w SET cache_key = canonical WHERE w.cache_key = r.cache_key;
            ALTER TABLE @extschema@.tako_warm_keys ENABLE TRIGGER tako_warm_keys_upsert;
        END IF;
    END LOOP;
END
$$;

------------------------------------------------------------------------------------------------
-- Saves are announced: NOTIFY tako_cache, '<key>' (delivered at commit, as NOTIFY is)
------------------------------------------------------------------------------------------------

-- An application that keeps its own copies of lists can LISTEN tako_cache and drop the key it is
-- told about: every write of a list's items (a save, a refresh, an administrator's UPDATE, a
-- restore) and every deletion sends its key, once per key and transaction.
CREATE FUNCTION @extschema@.tako_notify_save()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('tako_cache', CASE WHEN TG_OP = 'DELETE' THEN OLD.cache_key ELSE NEW.cache_key END);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_notify_save() IS
    'tako_cache trigger: NOTIFY tako_cache with the key of every list written or deleted';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_notify_save() FROM PUBLIC;

CREATE TRIGGER discovery_cache_notify
    AFTER INSERT OR DELETE OR UPDATE OF cache_key, data, upstream ON @extschema@.discovery_cache
    FOR EACH ROW EXECUTE FUNCTION @extschema@.tako_notify_save();

------------------------------------------------------------------------------------------------
-- Budgets
------------------------------------------------------------------------------------------------

-- Requests sent to each provider per UTC day, as counted in shared memory: written after every
-- fetch, read back by the first fetch after a restart (so a restart does not renew a budget).
CREATE TABLE @extschema@.tako_request_usage (
    provider text NOT NULL,
    day      date NOT NULL,
    requests bigint NOT NULL CHECK (requests >= 0),
    PRIMARY KEY (provider, day)
);
COMMENT ON TABLE @extschema@.tako_request_usage IS
    'tako_cache: upstream requests per provider and UTC day (what the daily budgets count; kept across restarts)';

DROP FUNCTION @extschema@.tako_provider_health();
CREATE FUNCTION @extschema@.tako_provider_health()
RETURNS TABLE (provider text, last_success_at timestamptz, last_error_at timestamptz,
               last_error text, consecutive_failures integer, paused_until timestamptz,
               requests_today bigint, daily_budget bigint, read_through_budget bigint,
               new_keys_per_hour integer, new_keys_this_hour bigint)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_provider_health';
COMMENT ON FUNCTION @extschema@.tako_provider_health() IS
    'tako_cache: each provider''s health, circuit breaker, requests today and budgets (NULL: unlimited), from shared memory';

CREATE FUNCTION @extschema@.tako_take_new_key(provider text)
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_take_new_key';
COMMENT ON FUNCTION @extschema@.tako_take_new_key(text) IS
    'tako_cache internal: takes one of the new keys read-through may fetch this hour from a provider; false when none is left';

CREATE FUNCTION @extschema@.tako_restore_request_usage(provider text, requests bigint)
RETURNS void
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_restore_request_usage';
COMMENT ON FUNCTION @extschema@.tako_restore_request_usage(text, bigint) IS
    'tako_cache internal: raises a provider''s count of requests today in shared memory (after a restart)';

CREATE FUNCTION @extschema@.tako_first_usage_load()
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_first_usage_load';
COMMENT ON FUNCTION @extschema@.tako_first_usage_load() IS
    'tako_cache internal: true once per server life, for the fetch that loads tako_request_usage';

-- Keeps tako_request_usage and shared memory in step (tako_fetch_lists calls it before and after
-- every fetch): the first call of the server's life raises today's counts to what the table kept;
-- every call writes today's counts back (never lowering them). Nothing is written on a standby.
CREATE FUNCTION @extschema@.tako_sync_request_usage()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
    IF @extschema@.tako_first_usage_load() THEN
        PERFORM @extschema@.tako_restore_request_usage(u.provider, u.requests)
           FROM @extschema@.tako_request_usage AS u WHERE u.day = today;
    END IF;
    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        RETURN;
    END IF;
    INSERT INTO @extschema@.tako_request_usage AS u (provider, day, requests)
    SELECT h.provider, today, h.requests_today FROM @extschema@.tako_provider_health() AS h
     WHERE h.requests_today > 0
    ON CONFLICT (provider, day) DO UPDATE SET requests = greatest(u.requests, EXCLUDED.requests)
     WHERE u.requests < EXCLUDED.requests;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_sync_request_usage() IS
    'tako_cache internal: loads the requests counted today after a restart, and writes the counts back';

CREATE OR REPLACE FUNCTION @extschema@.tako_cache_stats()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stats jsonb;
    jobs jsonb := '[]';
BEGIN
    -- Exact counts: flush the hits counted in shared memory first; those that cannot be flushed
    -- (a standby) are added below.
    PERFORM @extschema@.tako_flush_hits();
    WITH entries AS (
        SELECT c.provider, c.endpoint, c.total_results, c.refresh_count, c.updated_at, c.expires_at,
               c.fetch_count + coalesce(p.hits, 0) AS fetch_count,
               greatest(c.last_accessed, p.last_access) AS last_accessed
          FROM @extschema@.discovery_cache AS c
          LEFT JOIN @extschema@.tako_pending_hits(false) AS p ON p.cache_key = c.cache_key)
    SELECT jsonb_build_object(
        'global', (
            SELECT jsonb_build_object(
                'total_entries', count(*),
                'total_items', coalesce(sum(c.total_results), 0),
                'total_fetches', coalesce(sum(c.fetch_count), 0),
                'valid_entries', count(*) FILTER (WHERE c.expires_at > now()),
                'expired_entries', count(*) FILTER (WHERE c.expires_at <= now()),
                'accessed_today', count(*) FILTER (WHERE c.last_accessed > now() - interval '24 hours'))
              FROM entries AS c),
        'byProvider', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'provider', g.provider,
                       'endpoint', g.endpoint,
                       'total_entries', g.total_entries,
                       'total_items', g.total_items,
                       'total_fetches', g.total_fetches,
                       'avg_refreshes', g.avg_refreshes,
                       'oldest_update', g.oldest_update,
                       'latest_update', g.latest_update,
                       'valid_entries', g.valid_entries,
                       'expired_entries', g.expired_entries)
                   ORDER BY g.provider, g.endpoint)
              FROM (SELECT c.provider, c.endpoint,
                           count(*) AS total_entries,
                           sum(c.total_results) AS total_items,
                           sum(c.fetch_count) AS total_fetches,
                           round(avg(c.refresh_count))::integer AS avg_refreshes,
                           min(c.updated_at) AS oldest_update,
                           max(c.updated_at) AS latest_update,
                           count(*) FILTER (WHERE c.expires_at > now()) AS valid_entries,
                           count(*) FILTER (WHERE c.expires_at <= now()) AS expired_entries
                      FROM entries AS c
                     GROUP BY c.provider, c.endpoint) AS g), '[]'::jsonb),
        'providers', (
            SELECT jsonb_agg(jsonb_build_object(
                       'provider', h.provider,
                       'last_success', h.last_success_at,
                       'last_error', h.last_error_at,
                       'last_error_message', h.last_error,
                       'consecutive_failures', h.consecutive_failures,
                       'paused', h.paused_until IS NOT NULL,
                       'paused_until', h.paused_until,
                       'requests_today', h.requests_today,
                       'daily_budget', h.daily_budget,
                       'read_through_budget', h.read_through_budget,
                       'new_keys_per_hour', h.new_keys_per_hour,
                       'new_keys_this_hour', h.new_keys_this_hour)
                   ORDER BY h.provider)
              FROM @extschema@.tako_provider_health() AS h))
      INTO stats;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'jobname', j.jobname,
                   'schedule', j.schedule,
                   'active', j.active,
                   'next_run', @extschema@.tako_next_run(j.schedule, now()),
                   'last_run', r.end_time,
                   'last_status', r.status) ORDER BY j.jobname), '[]')
          INTO jobs
          FROM cron.job AS j
          LEFT JOIN LATERAL (SELECT d.end_time, d.status FROM cron.job_run_details AS d
                              WHERE d.jobid = j.jobid ORDER BY d.runid DESC LIMIT 1) AS r ON true
         WHERE starts_with(j.jobname, 'tako_cache:');
    END IF;
    RETURN stats || jsonb_build_object('jobs', jobs);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.tako_discover_fill(key text)
RETURNS json
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text := @extschema@.tako_canonical_key(key);
    mode text := current_setting('tako_cache.mode');
    read_only boolean := pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean;
    entry record;
    have boolean;
    fetched record;
    failure record;
    result jsonb;
BEGIN
    IF NOT current_setting('tako_cache.enabled')::boolean THEN
        PERFORM @extschema@.tako_require_platforms(k);
        SELECT * INTO fetched FROM @extschema@.tako_fetch_lists(ARRAY[k], 'discover');
        IF fetched.outcome <> 'ok' THEN
            RAISE EXCEPTION USING ERRCODE = fetched.sqlstate,
                MESSAGE = format('upstream request for %s failed (%s): %s', k, fetched.outcome, fetched.error);
        END IF;
        RETURN @extschema@.tako_envelope(k, fetched.items, fetched.upstream, fetched.finished_at, NULL,
                                         false, false);
    END IF;
    IF read_only THEN
        mode := 'db_only';
    END IF;

    SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
      FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
    have := FOUND;
    IF have AND mode <> 'api_only' AND (entry.expires_at > now() OR mode = 'db_only') THEN
        IF NOT read_only THEN
            PERFORM @extschema@.tako_count_hit(k);
        END IF;
        RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at, entry.expires_at,
                                         true, entry.expires_at <= now());
    END IF;
    IF mode = 'db_only' THEN
        RETURN @extschema@.tako_envelope(k, NULL, NULL, NULL, NULL, false, false,
                                         'not in the cache (tako_cache.mode is db_only)');
    END IF;

    -- A key nobody asked for yet: only real platform ids, and only so many new keys per hour and
    -- provider (the warm keys are not new: the schedule fetches them anyway).
    IF NOT have THEN
        PERFORM @extschema@.tako_require_platforms(k);
    END IF;

    IF mode = 'hybrid' THEN
        -- Single flight: one fetch per key at a time.
        IF have THEN
            IF NOT pg_try_advisory_xact_lock(hashtext('tako_cache'), hashtext(k)) THEN
                PERFORM @extschema@.tako_count_hit(k);
                RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                 entry.expires_at, true, true,
                                                 'being refreshed by another session');
            END IF;
        ELSE
            PERFORM pg_advisory_xact_lock(hashtext('tako_cache'), hashtext(k));
            -- A new snapshot: what the session that held the lock saved.
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
            have := FOUND;
            IF have AND entry.expires_at > now() THEN
                PERFORM @extschema@.tako_count_hit(k);
                RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                 entry.expires_at, true, false);
            END IF;
        END IF;
        -- A key that just failed is not fetched again for a minute.
        SELECT f.outcome, f.error, f.failed_at, f.sqlstate INTO failure
          FROM @extschema@.tako_recent_failure(k, 60000) AS f;
        IF FOUND THEN
            result := jsonb_build_object('outcome', failure.outcome, 'sqlstate', failure.sqlstate,
                'error', format('%s (%s s ago; not retried before %s)', failure.error,
                                round(extract(epoch FROM clock_timestamp() - failure.failed_at)),
                                to_char((failure.failed_at + interval '1 minute') AT TIME ZONE 'UTC',
                                        'HH24:MI:SS "UTC"')));
        END IF;
    END IF;

    IF result IS NULL AND NOT have
       AND NOT EXISTS (SELECT 1 FROM @extschema@.tako_warm_keys AS w WHERE w.cache_key = k AND w.enabled)
       AND NOT @extschema@.tako_take_new_key(split_part(k, ':', 1)) THEN
        RAISE EXCEPTION 'new-key budget spent: % may not fetch more keys it has not cached this hour', split_part(k, ':', 1)
            USING ERRCODE = 'TK429',
                  DETAIL = format('%s is neither cached nor a warm key; read-through fetches at most %s such keys '
                                  'per hour and provider (tako_cache.new_keys_per_hour).',
                                  k, current_setting('tako_cache.new_keys_per_hour')),
                  HINT = 'Retry later, or add the key to tako_warm_keys.';
    END IF;
    IF result IS NULL THEN
        result := @extschema@.tako_refresh_keys(ARRAY[k], 'discover')->'results'->0;
        IF result->>'status' = 'ok' THEN
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
            RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                             entry.expires_at, false, false);
        END IF;
    END IF;
    -- The upstream failed, now or a moment ago: stale-if-error, or the error.
    IF have THEN
        PERFORM @extschema@.tako_count_hit(k);
        RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at, entry.expires_at,
                                         true, true, format('%s: %s', result->>'outcome', result->>'error'));
    END IF;
    RAISE EXCEPTION USING ERRCODE = result->>'sqlstate',
        MESSAGE = format('upstream request for %s failed (%s): %s', k, result->>'outcome', result->>'error');
END
$$;

REVOKE ALL ON @extschema@.tako_platforms FROM PUBLIC;
GRANT SELECT ON @extschema@.tako_platforms TO PUBLIC;
REVOKE ALL ON @extschema@.tako_request_usage FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_platforms_upsert() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_provider_health() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_take_new_key(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_restore_request_usage(text, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_first_usage_load() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_sync_request_usage() FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- What \df+ and \dx+ show a DBA: every object of the extension says what it is
------------------------------------------------------------------------------------------------

COMMENT ON FUNCTION @extschema@.tako_cache_key(text, text, text, text, text, text, text, text) IS
    'tako_cache: builds a cache key from its parts (the seed''s generateCacheKey), validated and canonical';
COMMENT ON FUNCTION @extschema@.tako_canonical_key(text) IS
    'tako_cache: the canonical form of a cache key (defaults filled, platform ids sorted); 22023 if invalid';
COMMENT ON FUNCTION @extschema@.tako_key_info(text) IS
    'tako_cache: what the families table says of a key, as jsonb (provider, endpoint, params, ttl...)';
COMMENT ON FUNCTION @extschema@.tako_parse_key(text) IS
    'tako_cache: what the families table says of a key, as a record';
COMMENT ON FUNCTION @extschema@.tako_families() IS
    'tako_cache: the key families served, with their default keys and TTLs';
COMMENT ON FUNCTION @extschema@.tako_validate_items(jsonb, text) IS
    'tako_cache: true when data is an array of Format B items (of a provider); else 22023 naming the item and field';
COMMENT ON FUNCTION @extschema@.tako_require_canonical_key(text) IS
    'tako_cache: ERROR 22023 unless a key is valid and in canonical form';
COMMENT ON FUNCTION @extschema@.tako_check_row() IS
    'tako_cache trigger: every write of a list has a canonical key and Format B items of its provider';
COMMENT ON FUNCTION @extschema@.tako_count_refresh() IS
    'tako_cache trigger: a write of data counts one refresh and sets updated_at';
COMMENT ON FUNCTION @extschema@.tako_get_cached(text) IS
    'tako_cache: the items of a fresh entry as json (NULL on a miss or expired); the hit is counted in shared memory';
COMMENT ON FUNCTION @extschema@.tako_count_hit(text) IS
    'tako_cache internal: counts one hit of a key in shared memory';
COMMENT ON FUNCTION @extschema@.tako_pending_hits(boolean) IS
    'tako_cache: the hits counted in shared memory and not yet added to discovery_cache';
COMMENT ON FUNCTION @extschema@.tako_pending_hits(boolean, text[]) IS
    'tako_cache internal: the pending hits except some keys (what tako_flush_hits takes)';
COMMENT ON FUNCTION @extschema@.tako_flush_hits() IS
    'tako_cache: adds the hits counted in shared memory to fetch_count and last_accessed (every minute from pg_cron)';
COMMENT ON FUNCTION @extschema@.tako_get_expired_entries(integer) IS
    'tako_cache: the expired entries, most fetched first';
COMMENT ON FUNCTION @extschema@.tako_purge_old_entries(integer) IS
    'tako_cache: deletes the entries nobody read for a number of days; returns how many';
COMMENT ON FUNCTION @extschema@.tako_fetch(text) IS
    'tako_cache: the raw upstream JSON of a key (one request, no retry, credentials redacted)';
COMMENT ON FUNCTION @extschema@.tako_normalize(text, text, jsonb, text) IS
    'tako_cache: a provider''s raw list response turned into Format B items (pure)';
COMMENT ON FUNCTION @extschema@.tako_recent_failure(text, integer) IS
    'tako_cache internal: a key''s latest failed fetch, if recent (shared memory)';
COMMENT ON FUNCTION @extschema@.tako_refresh_keys(text[], text) IS
    'tako_cache: fetches, normalizes and saves lists concurrently; one result and one refresh-log row per key';
COMMENT ON FUNCTION @extschema@.tako_refresh(text) IS
    'tako_cache: refreshes one key: {key, status, outcome, http_status, items, attempts, duration_ms, error}';
COMMENT ON FUNCTION @extschema@.tako_refresh_expired(integer) IS
    'tako_cache: refreshes the expired entries, most fetched first';
COMMENT ON FUNCTION @extschema@.tako_provider_keys(text, text) IS
    'tako_cache: a provider''s (endpoint''s) cached keys and enabled warm keys';
COMMENT ON FUNCTION @extschema@.tako_refresh_provider(text, text) IS
    'tako_cache: refreshes a provider''s (endpoint''s) cached keys and enabled warm keys';
COMMENT ON FUNCTION @extschema@.tako_refresh_all() IS
    'tako_cache: refreshes every cached key and every enabled warm key';
COMMENT ON PROCEDURE @extschema@.tako_refresh_job(text[], text) IS
    'tako_cache: the scheduled form of tako_refresh_keys, committing as it goes (CALL it at top level)';
COMMENT ON FUNCTION @extschema@.tako_mark_interrupted() IS
    'tako_cache: marks as interrupted the running refresh-log rows whose session is gone';
COMMENT ON FUNCTION @extschema@.tako_refresh_slots_check() IS
    'tako_cache trigger: a refresh slot names a provider''s endpoints and valid local times';
COMMENT ON FUNCTION @extschema@.tako_warm_keys_upsert() IS
    'tako_cache trigger: warm keys are canonical with real platforms; an INSERT of a known key updates it';
COMMENT ON FUNCTION @extschema@.tako_cron_time(time, text, text, timestamptz) IS
    'tako_cache: a local slot time as pg_cron''s time in its time zone, for the offset in force';
COMMENT ON FUNCTION @extschema@.tako_schedule_plan(timestamptz) IS
    'tako_cache: the pg_cron jobs tako_cache wants, with local and cron times';
COMMENT ON FUNCTION @extschema@.tako_require_pg_cron() IS
    'tako_cache: ERROR 55000 unless pg_cron is installed in this database';
COMMENT ON FUNCTION @extschema@.tako_schedule_commands() IS
    'tako_cache: the cron.schedule_in_database statements to run where pg_cron lives';
COMMENT ON FUNCTION @extschema@.tako_schedule_refreshes(timestamptz) IS
    'tako_cache: installs (or updates) the tako_cache: pg_cron jobs of the refresh slots; idempotent';
COMMENT ON FUNCTION @extschema@.tako_unschedule_refreshes() IS
    'tako_cache: removes every tako_cache: pg_cron job; returns how many';
COMMENT ON FUNCTION @extschema@.tako_sync_schedule() IS
    'tako_cache: moves the scheduled jobs to the cron times of the offset in force (DST)';
COMMENT ON FUNCTION @extschema@.tako_slot_keys(text, text) IS
    'tako_cache: the keys a refresh slot refreshes';
COMMENT ON FUNCTION @extschema@.tako_run_slot(text, text) IS
    'tako_cache: runs a refresh slot in one transaction';
COMMENT ON PROCEDURE @extschema@.tako_run_slot_job(text, text) IS
    'tako_cache: what a slot''s pg_cron job runs (commits as it goes)';
COMMENT ON FUNCTION @extschema@.tako_run_hourly() IS
    'tako_cache: the hourly work: refresh of expired entries, then the schedule re-sync';
COMMENT ON PROCEDURE @extschema@.tako_run_hourly_job() IS
    'tako_cache: what the hourly pg_cron job runs';
COMMENT ON FUNCTION @extschema@.tako_purge_refresh_log(integer) IS
    'tako_cache: deletes refresh-log rows older than a number of days';
COMMENT ON FUNCTION @extschema@.tako_next_run(text, timestamptz) IS
    'tako_cache: the next time a tako_cache job schedule fires';
COMMENT ON FUNCTION @extschema@.tako_cache_stats() IS
    'tako_cache: Tako''s /api/cache/stats cache object, plus provider health, budgets and jobs';
COMMENT ON SEQUENCE @extschema@.discovery_cache_id_seq IS 'tako_cache: ids of discovery_cache';
COMMENT ON SEQUENCE @extschema@.tako_refresh_log_id_seq IS 'tako_cache: ids of tako_refresh_log';
