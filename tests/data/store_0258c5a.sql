BEGIN TRANSACTION;
CREATE TABLE adjudications (
            id INTEGER PRIMARY KEY,
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            adjudicator TEXT NOT NULL,
            violence INTEGER NOT NULL,
            graphic INTEGER NOT NULL,
            severity INTEGER NOT NULL,
            note TEXT,
            decided_at TEXT NOT NULL
        );
INSERT INTO "adjudications" VALUES(1,1,'ed',1,1,3,'the gunmen shot them','2026-12-07T12:00:36.000000+00:00');
CREATE TABLE admin_log (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL CHECK (action IN
                ('retrain', 'promote', 'rollback', 'rescore', 'adjudicate', 'setting')),
            actor TEXT NOT NULL,
            detail TEXT NOT NULL,
            at TEXT NOT NULL
        );
INSERT INTO "admin_log" VALUES(1,'setting','admin','double review: 50% of passages','2026-12-07T12:00:13.000000+00:00');
INSERT INTO "admin_log" VALUES(2,'adjudicate','ed','passage 1 of d1: graphic (the gunmen shot them)','2026-12-07T12:00:37.000000+00:00');
INSERT INTO "admin_log" VALUES(3,'retrain','admin','round 4','2026-12-07T12:00:40.000000+00:00');
CREATE TABLE claims (
            passage_id INTEGER PRIMARY KEY REFERENCES passages (id),
            reviewer TEXT NOT NULL,
            expires_at TEXT NOT NULL
        , token TEXT, claimed_at TEXT);
INSERT INTO "claims" VALUES(5,'cy','2026-12-07T12:10:41.000000+00:00','a755cba74c2347738701f3b073723365','2026-12-07T12:00:41.000000+00:00');
CREATE TABLE document_reviews (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents (id),
            reviewer TEXT NOT NULL,
            level TEXT NOT NULL CHECK (level IN ('none', 'violence', 'graphic')),
            warning TEXT,
            decided_at TEXT NOT NULL
        , decision TEXT, categories TEXT);
INSERT INTO "document_reviews" VALUES(1,1,'ed','graphic','Contains graphic descriptions of violence: shooting','2026-12-07T12:00:39.000000+00:00','accept','["shooting", "killing"]');
CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            doc_key TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            source_path TEXT,
            source_line INTEGER,
            fields TEXT,
            added_at TEXT NOT NULL, key_hash TEXT,
            UNIQUE (doc_key, text_hash)
        );
INSERT INTO "documents" VALUES(1,'d1','db7267d88221d8fe18ee5f49d11ea0dec47f863605472035872bba2d09474189','wire.jsonl',1,NULL,'2026-12-07T12:00:02.000000+00:00','8b53639f152c8fc6ef30802fde462ba0be9cf085f7580dc69efd72e002abbb35');
INSERT INTO "documents" VALUES(2,'d2','70e244bce8803906bc9e06118c952e44998ee251d26d543922b8bfc7c3832a9d','wire.jsonl',1,NULL,'2026-12-07T12:00:04.000000+00:00','e788103ee15318fcd2af9b73b4ebbb33a903b020de7b307d71f5fed0f433e548');
INSERT INTO "documents" VALUES(3,'d1','c9e54ccc2b9e103d56eeef8e141b75b7723dcc0eb41fe91c9b96a77d40d42457','late.jsonl',1,NULL,'2026-12-07T12:00:06.000000+00:00','8b53639f152c8fc6ef30802fde462ba0be9cf085f7580dc69efd72e002abbb35');
INSERT INTO "documents" VALUES(4,'wire/d3.txt','06cd3dc76d0c64fbc14629d0753449e900b38344fdc703cbd424e323b575cf02',NULL,NULL,NULL,'2026-12-07T12:00:08.000000+00:00','dc05b35d8a9b13cce0c33b9652126d3a3dddebe4d77c0b27af40e7b9e904ef2b');
INSERT INTO "documents" VALUES(5,'https://example.org/?q=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx','cdca087c64e15a1d990230f771c81b8f0d3ec8956f3c3ec376881b4ca8908ad6','web.jsonl',1,NULL,'2026-12-07T12:00:10.000000+00:00','bf1a6623864c5069e9c10385ef9d310a79e9addf8c55c2852e5c7fe6ff13946b');
CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO "migrations" VALUES('0001_documents_passages_scores_reviews','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0002_queue_priority_columns','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0003_second_looks','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0004_waiting_queue','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0005_documents_by_added_at','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0006_claims_and_queue_states','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0007_hashed_document_keys','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0008_reviewer_progress','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0009_adjudications','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0010_admin_log','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0011_store_settings','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0012_warning_decisions','2026-12-07T12:00:01.000000+00:00');
INSERT INTO "migrations" VALUES('0013_review_labels','2026-12-07T12:00:01.000000+00:00');
CREATE TABLE passages (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents (id),
            idx INTEGER NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (document_id, idx)
        );
INSERT INTO "passages" VALUES(1,1,0,0,63,'Gunmen stormed the village at dawn and shot dead eleven people.');
INSERT INTO "passages" VALUES(2,1,1,65,115,'The council approved a new budget for the library.');
INSERT INTO "passages" VALUES(3,2,0,0,66,'His skull was split open and his brains spilled onto the pavement.');
INSERT INTO "passages" VALUES(4,3,0,0,50,'The council approved a new budget for the library.');
INSERT INTO "passages" VALUES(5,3,1,52,118,'His skull was split open and his brains spilled onto the pavement.');
INSERT INTO "passages" VALUES(6,4,0,0,63,'Gunmen stormed the village at dawn and shot dead eleven people.');
INSERT INTO "passages" VALUES(7,4,1,65,128,'Gunmen stormed the village at dawn and shot dead eleven people.');
INSERT INTO "passages" VALUES(8,5,0,0,50,'The council approved a new budget for the library.');
CREATE TABLE reviewer_progress (
            reviewer_hash TEXT PRIMARY KEY,
            reviewer TEXT NOT NULL,
            labelled INTEGER NOT NULL
        );
INSERT INTO "reviewer_progress" VALUES('24d4b96f58da6d4a8512313bbd02a28ebf0ca95dec6e4c86ef78ce7f01e788ac','ana',4);
INSERT INTO "reviewer_progress" VALUES('6700869c8ff7480e34a70a708b028700dbaa3a033b5652b903afe89f49a31456','ben',1);
CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            reviewer TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('confirm', 'correct', 'skip', 'undo')),
            violence INTEGER,
            graphic INTEGER,
            severity INTEGER,
            note TEXT,
            model_version TEXT,
            decided_at TEXT NOT NULL
        , claim TEXT);
INSERT INTO "reviews" VALUES(1,1,'ana','correct',1,1,3,'gunmen','2026-01-01-older','2026-12-07T12:00:16.000000+00:00','fd7d31633c2f4b188aea533aee9ecf59');
INSERT INTO "reviews" VALUES(2,1,'ben','correct',0,0,0,NULL,'2026-01-01-older','2026-12-07T12:00:20.000000+00:00','f9c5dae2d9244fb0afc2829487cb8783');
INSERT INTO "reviews" VALUES(3,2,'ana','confirm',0,0,0,NULL,'2026-12-07-d52de4a7','2026-12-07T12:00:23.000000+00:00','1cb198fafb37484598aaebbe529beef7');
INSERT INTO "reviews" VALUES(4,3,'ben','skip',NULL,NULL,NULL,NULL,'2026-01-01-older','2026-12-07T12:00:26.000000+00:00','ccb67a80e9994f87b0b490547954dd67');
INSERT INTO "reviews" VALUES(5,4,'ana','confirm',0,0,0,NULL,'2026-01-01-older','2026-12-07T12:00:29.000000+00:00','b27b97e3e8f249bd8015f0f3b7a5d4cc');
INSERT INTO "reviews" VALUES(6,4,'ana','undo',NULL,NULL,NULL,NULL,'2026-01-01-older','2026-12-07T12:00:30.000000+00:00',NULL);
INSERT INTO "reviews" VALUES(7,6,'ana','confirm',1,0,2,NULL,'2026-01-01-older','2026-12-07T12:00:33.000000+00:00','0f07bdd90f134c4588c107aecc25ad42');
INSERT INTO "reviews" VALUES(8,7,'ana','confirm',1,0,2,NULL,'2026-01-01-older','2026-12-07T12:00:34.000000+00:00','0f07bdd90f134c4588c107aecc25ad42');
CREATE TABLE scores (
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            model_version TEXT NOT NULL,
            violence REAL NOT NULL,
            graphic REAL NOT NULL,
            flags TEXT NOT NULL,
            severity INTEGER NOT NULL,
            evidence TEXT NOT NULL,
            scored_at TEXT NOT NULL, top REAL, margin REAL, queue_state INTEGER NOT NULL DEFAULT 1, review TEXT,
            PRIMARY KEY (passage_id, model_version)
        );
INSERT INTO "scores" VALUES(1,'2026-12-07-d52de4a7',0.974,0.05,'["violence"]',2,'[{"label": "violence", "term": "gunmen", "start": 0, "end": 6, "weight": 4.1173}, {"label": "violence", "term": "shot dead", "start": 39, "end": 48, "weight": 3.0536}]','2026-12-07T12:00:02.000000+00:00',0.974,0.193071,0,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(2,'2026-12-07-d52de4a7',0.0259,0.0023,'[]',0,'[]','2026-12-07T12:00:02.000000+00:00',0.0259,0.240771,0,'[]');
INSERT INTO "scores" VALUES(1,'2026-01-01-older',0.974,0.05,'["violence"]',2,'[{"label": "violence", "term": "gunmen", "start": 0, "end": 6, "weight": 4.1173}, {"label": "violence", "term": "shot dead", "start": 39, "end": 48, "weight": 3.0536}]','2026-12-07T12:00:03.000000+00:00',0.974,0.193071,0,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(3,'2026-12-07-d52de4a7',0.617,0.4322,'["violence", "graphic"]',3,'[{"label": "graphic", "term": "skull", "start": 4, "end": 9, "weight": 3.5168}]','2026-12-07T12:00:04.000000+00:00',0.617,1.8912899999999996381e-01,2,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(3,'2026-01-01-older',0.617,0.4322,'["violence", "graphic"]',3,'[{"label": "graphic", "term": "skull", "start": 4, "end": 9, "weight": 3.5168}]','2026-12-07T12:00:05.000000+00:00',0.617,1.8912899999999996381e-01,2,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(4,'2026-12-07-d52de4a7',0.0259,0.0023,'[]',0,'[]','2026-12-07T12:00:06.000000+00:00',0.0259,0.240771,1,'[]');
INSERT INTO "scores" VALUES(5,'2026-12-07-d52de4a7',0.617,0.4322,'["violence", "graphic"]',3,'[{"label": "graphic", "term": "skull", "start": 4, "end": 9, "weight": 3.5168}]','2026-12-07T12:00:06.000000+00:00',0.617,1.8912899999999996381e-01,1,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(4,'2026-01-01-older',0.0259,0.0023,'[]',0,'[]','2026-12-07T12:00:07.000000+00:00',0.0259,0.240771,1,'[]');
INSERT INTO "scores" VALUES(6,'2026-12-07-d52de4a7',0.974,0.05,'["violence"]',2,'[{"label": "violence", "term": "gunmen", "start": 0, "end": 6, "weight": 4.1173}, {"label": "violence", "term": "shot dead", "start": 39, "end": 48, "weight": 3.0536}]','2026-12-07T12:00:08.000000+00:00',0.974,0.193071,0,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(7,'2026-12-07-d52de4a7',0.974,0.05,'["violence"]',2,'[{"label": "violence", "term": "gunmen", "start": 0, "end": 6, "weight": 4.1173}, {"label": "violence", "term": "shot dead", "start": 39, "end": 48, "weight": 3.0536}]','2026-12-07T12:00:08.000000+00:00',0.974,0.193071,0,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(6,'2026-01-01-older',0.974,0.05,'["violence"]',2,'[{"label": "violence", "term": "gunmen", "start": 0, "end": 6, "weight": 4.1173}, {"label": "violence", "term": "shot dead", "start": 39, "end": 48, "weight": 3.0536}]','2026-12-07T12:00:09.000000+00:00',0.974,0.193071,0,'["violence", "graphic"]');
INSERT INTO "scores" VALUES(8,'2026-12-07-d52de4a7',0.0259,0.0023,'[]',0,'[]','2026-12-07T12:00:10.000000+00:00',0.0259,0.240771,1,'[]');
INSERT INTO "scores" VALUES(8,'2026-01-01-older',0.0259,0.0023,'[]',0,'[]','2026-12-07T12:00:11.000000+00:00',0.0259,0.240771,1,'[]');
CREATE TABLE second_looks (
            passage_id INTEGER PRIMARY KEY REFERENCES passages (id),
            reason TEXT NOT NULL,
            flagged_at TEXT NOT NULL
        );
INSERT INTO "second_looks" VALUES(1,'double review','2026-12-07T12:00:17.000000+00:00');
INSERT INTO "second_looks" VALUES(2,'disputed','2026-12-07T12:00:38.000000+00:00');
INSERT INTO "second_looks" VALUES(6,'double review','2026-12-07T12:00:35.000000+00:00');
CREATE TABLE store_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL
        );
INSERT INTO "store_settings" VALUES('double_review','50','admin','2026-12-07T12:00:12.000000+00:00');
CREATE INDEX reviews_by_passage ON reviews (passage_id);
CREATE INDEX waiting_by_passage ON scores (passage_id) WHERE queue_state = 1;
CREATE INDEX waiting_by_top ON scores (top DESC) WHERE queue_state = 1;
CREATE INDEX waiting_by_margin ON scores (margin) WHERE queue_state = 1;
CREATE INDEX documents_by_added_at ON documents (added_at);
CREATE INDEX scores_by_state ON scores (queue_state, passage_id);
CREATE INDEX document_reviews_by_document ON document_reviews (document_id);
CREATE UNIQUE INDEX documents_by_key_hash ON documents (key_hash, text_hash);
CREATE INDEX reviews_by_reviewer ON reviews (substr(reviewer, 1, 100), id);
CREATE INDEX adjudications_by_passage ON adjudications (passage_id);
COMMIT;
