-- Event titles become per-language JSON like survey titles; existing titles were written in English.
UPDATE `events` SET `title` = json_object('en', `title`);
