import GRDB

/// The schema, created and upgraded by GRDB migrations. Times are integer milliseconds since
/// 1970 (UTC); records are JSON.
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: queue, dead letters, requests, stack claims") { db in
            // Messages of every queue, in sending order (`seq`). `visible_at` is when the message
            // may be received next: the send time (plus any delay), then receive time plus
            // visibility timeout. `receipt` is the handle of the latest delivery (NULL before the
            // first); it starts with `seq`, so acknowledging needs no index of its own.
            //
            // Every B-tree a transaction touches costs at least one page write to the WAL, and a
            // random insertion point one page per row: the tables keep to the indexes queries
            // need, and keys that grow with time where possible.
            try db.execute(
                sql: """
                    CREATE TABLE queue_message (
                        seq INTEGER PRIMARY KEY,
                        queue TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        body TEXT NOT NULL,
                        sent_at INTEGER NOT NULL,
                        visible_at INTEGER NOT NULL,
                        receive_count INTEGER NOT NULL DEFAULT 0,
                        receipt TEXT
                    );
                    CREATE INDEX queue_message_by_visibility ON queue_message(queue, visible_at, seq);

                    CREATE TABLE dead_letter (
                        seq INTEGER PRIMARY KEY,
                        queue TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        body TEXT NOT NULL,
                        sent_at INTEGER NOT NULL,
                        receive_count INTEGER NOT NULL,
                        dead_at INTEGER NOT NULL
                    );
                    CREATE INDEX dead_letter_by_queue ON dead_letter(queue, seq);

                    -- One row per request, in creation order (`seq`: pages go newest first by it).
                    -- `record` is the whole RequestRecord as JSON; the other columns serve queries.
                    CREATE TABLE request (
                        seq INTEGER PRIMARY KEY,
                        request_id TEXT NOT NULL UNIQUE,
                        status TEXT NOT NULL,
                        environment_key TEXT,
                        record TEXT NOT NULL
                    );
                    CREATE INDEX request_by_status ON request(status, seq);
                    CREATE INDEX request_by_environment ON request(environment_key, seq);

                    -- One active request per stack: the primary key makes two claimers unable to
                    -- both win, whichever process they run in.
                    CREATE TABLE stack_claim (
                        stack_key TEXT PRIMARY KEY NOT NULL,
                        request_id TEXT NOT NULL,
                        claimed_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }()

    /// Brings the schema up to date. Two processes opening a new file at once may both try the
    /// same migration; the loser fails on "table already exists", and its second attempt finds
    /// the migration recorded and does nothing.
    static func migrate(_ pool: DatabasePool) throws {
        do {
            try migrator.migrate(pool)
        } catch {
            try migrator.migrate(pool)
        }
    }
}
