-- A one-item Deezer album list of Format B for the pgTAP files (\ir lib/item.sql), in pg_temp.
CREATE FUNCTION pg_temp.item(id text, title text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('id', 'deezer:' || id, 'type', 'music_album', 'source', 'deezer',
        'sourceId', id, 'title', title, 'titleOriginal', NULL, 'description', NULL, 'year', NULL,
        'images', jsonb_build_object('primary', NULL, 'thumbnail', NULL, 'gallery', '[]'::jsonb),
        'urls', jsonb_build_object('source', NULL, 'detail', '/api/music/deezer/albums/' || id),
        'details', jsonb_build_object('position', 1))
$$;
