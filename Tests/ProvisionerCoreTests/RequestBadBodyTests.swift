import ProvisionerCore
import Testing

/// One refused body: the headline error's code and field, and words its message must contain.
struct BadBody: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let code: RequestErrorCode
    let field: String?
    let mentions: [String]

    init(_ label: String, _ bytes: [UInt8], _ code: RequestErrorCode, _ field: String?, mentions: [String] = []) {
        self.label = label
        self.bytes = bytes
        self.code = code
        self.field = field
        self.mentions = mentions
    }

    init(_ label: String, _ text: String, _ code: RequestErrorCode, _ field: String?, mentions: [String] = []) {
        self.init(label, Array(text.utf8), code, field, mentions: mentions)
    }

    var testDescription: String { label }
}

private typealias F = RequestFixtures

private let name = "databaseName"
private let engine = "databaseEngine"
private let environment = "environment"
private let owner = "owner"

private func nested(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

/// Every way a body can be wrong, with the error it must produce.
let badBodies: [BadBody] = [
    // Body as a whole.
    BadBody("empty", "", .emptyBody, nil),
    BadBody("only whitespace", " \n\t\r ", .emptyBody, nil),
    BadBody(
        "over the size limit",
        F.body(databaseName: F.jsonString(String(repeating: "a", count: RequestValidator.maxBodyBytes))),
        .bodyTooLarge, nil, mentions: ["16384"]),
    BadBody("unterminated object", #"{"databaseName": "orders""#, .invalidJSON, nil, mentions: ["line 1, column 26"]),
    BadBody("trailing comma", #"{"databaseName": "orders",}"#, .invalidJSON, nil, mentions: ["trailing comma"]),
    BadBody("single quotes", #"{'databaseName': 'orders'}"#, .invalidJSON, nil, mentions: ["double quotes"]),
    BadBody("comment", "// request\n{\"databaseName\": \"orders\"}", .invalidJSON, nil, mentions: ["line 1, column 1", "no comments"]),
    BadBody("unquoted value", #"{"databaseName": orders}"#, .invalidJSON, nil, mentions: ["double quotes"]),
    BadBody("NaN", #"{"databaseName": NaN}"#, .invalidJSON, nil),
    BadBody("leading zero", #"{"databaseName": 01}"#, .invalidJSON, nil, mentions: ["leading zeros"]),
    BadBody("raw newline in a string", "{\"databaseName\": \"ord\ners\"}", .invalidJSON, nil, mentions: ["line 1, column 22"]),
    BadBody("invalid escape", #"{"databaseName": "ord\x41ers"}"#, .invalidJSON, nil, mentions: ["invalid escape"]),
    BadBody("lone high surrogate", #"{"databaseName": "\ud800"}"#, .invalidJSON, nil, mentions: ["surrogate"]),
    BadBody("lone low surrogate", #"{"databaseName": "\udc00x"}"#, .invalidJSON, nil, mentions: ["surrogate"]),
    BadBody("invalid UTF-8", Array(#"{"databaseName": "ord"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), .invalidJSON, nil, mentions: ["UTF-8"]),
    BadBody("overlong UTF-8 slash", Array(#"{"databaseName": "a"#.utf8) + [0xC0, 0xAF] + Array(#"b"}"#.utf8), .invalidJSON, nil),
    BadBody("UTF-8 encoded surrogate", Array(#"{"databaseName": "a"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), .invalidJSON, nil),
    BadBody("garbage after the object", #"{"databaseName": "orders"} x"#, .invalidJSON, nil, mentions: ["after the end"]),
    BadBody("two objects", #"{}{}"#, .invalidJSON, nil),
    BadBody("nesting too deep", F.body(owner: nested(40)), .invalidJSON, nil, mentions: ["nested more than"]),
    BadBody("missing colon", #"{"databaseName" "orders"}"#, .invalidJSON, nil, mentions: ["':'"]),
    BadBody("array", #"[]"#, .bodyNotObject, nil, mentions: ["an array"]),
    BadBody("array of a request", #"[{"databaseName": "orders"}]"#, .bodyNotObject, nil),
    BadBody("string", #""orders""#, .bodyNotObject, nil, mentions: ["a string"]),
    BadBody("number", "42", .bodyNotObject, nil, mentions: ["a number"]),
    BadBody("null", "null", .bodyNotObject, nil),
    BadBody("boolean", "true", .bodyNotObject, nil),

    // Shape of the object.
    BadBody(
        "duplicate databaseName",
        F.body(extra: #""databaseName": "payments""#), .duplicateField, name, mentions: ["2 times"]),
    BadBody("duplicate environment", F.body(extra: #""environment": "Prod""#), .duplicateField, environment),
    BadBody("duplicate owner", F.body(owner: #""a""#, extra: #""owner": "a""#), .duplicateField, owner),
    BadBody("empty object", "{}", .missingField, name),
    BadBody("missing databaseName", F.body(databaseName: nil), .missingField, name),
    BadBody("missing databaseEngine", F.body(databaseEngine: nil), .missingField, engine),
    BadBody("missing environment", F.body(environment: nil), .missingField, environment),
    BadBody(
        "typo enviroment", F.body(environment: nil, extra: #""enviroment": "Prod""#), .unknownField, "enviroment",
        mentions: ["did you mean `environment`?"]),
    BadBody(
        "typo databseName", F.body(databaseName: nil, extra: #""databseName": "orders""#), .unknownField, "databseName",
        mentions: ["did you mean `databaseName`?"]),
    BadBody(
        "wrong case DatabaseName", F.body(databaseName: nil, extra: #""DatabaseName": "orders""#), .unknownField,
        "DatabaseName", mentions: ["`databaseName`", "case-sensitive"]),
    BadBody(
        "snake case database_name", F.body(databaseName: nil, extra: #""database_name": "orders""#), .unknownField,
        "database_name", mentions: ["`databaseName`"]),
    BadBody("alias engine", F.body(databaseEngine: nil, extra: #""engine": "MySQL""#), .unknownField, "engine", mentions: ["`databaseEngine`"]),
    BadBody("typo ownr", F.body(extra: #""ownr": "team""#), .unknownField, "ownr", mentions: ["did you mean `owner`?"]),
    BadBody("unknown field", F.body(extra: #""region": "eu-west-1""#), .unknownField, "region"),
    BadBody("name is a number", F.body(databaseName: "42"), .invalidFieldType, name, mentions: ["must be a string, not a number"]),
    BadBody("name is null", F.body(databaseName: "null"), .invalidFieldType, name, mentions: ["not null"]),
    BadBody("name is an array", F.body(databaseName: #"["orders"]"#), .invalidFieldType, name, mentions: ["an array"]),
    BadBody("name is an object", F.body(databaseName: #"{"name": "orders"}"#), .invalidFieldType, name, mentions: ["an object"]),
    BadBody("engine is a boolean", F.body(databaseEngine: "true"), .invalidFieldType, engine, mentions: ["a boolean"]),
    BadBody("environment is a number", F.body(environment: "1"), .invalidFieldType, environment),
    BadBody("owner is null", F.body(owner: "null"), .invalidFieldType, owner, mentions: ["Leave `owner` out"]),
    BadBody("owner is a number", F.body(owner: "7"), .invalidFieldType, owner),

    // databaseEngine.
    BadBody("engine Oracle", F.body(databaseEngine: #""Oracle""#), .unsupportedEngine, engine, mentions: ["`MySQL` or `PostgreSQL`", "`Oracle`"]),
    BadBody("engine postgre", F.body(databaseEngine: #""postgre""#), .unsupportedEngine, engine, mentions: ["Did you mean `PostgreSQL`?"]),
    BadBody("engine mysq", F.body(databaseEngine: #""mysq""#), .unsupportedEngine, engine, mentions: ["Did you mean `MySQL`?"]),
    BadBody("engine empty", F.body(databaseEngine: #""""#), .unsupportedEngine, engine),
    BadBody("engine with a leading space", F.body(databaseEngine: #"" PostgreSQL""#), .unsupportedEngine, engine, mentions: ["Did you mean `PostgreSQL`?"]),
    BadBody("engine MariaDB", F.body(databaseEngine: #""mariadb""#), .unsupportedEngine, engine),
    BadBody(
        "engine in fullwidth letters", F.body(databaseEngine: #""ｍｙｓｑｌ""#), .unsupportedEngine, engine,
        mentions: ["U+FF4D (FULLWIDTH LATIN SMALL LETTER M) at position 1", "only ASCII"]),

    // environment.
    BadBody("environment Staging", F.body(environment: #""Staging""#), .unknownEnvironment, environment, mentions: ["`Dev`, `Prod`"]),
    BadBody("environment prd", F.body(environment: #""prd""#), .unknownEnvironment, environment, mentions: ["Did you mean `Prod`?"]),
    BadBody("environment empty", F.body(environment: #""""#), .unknownEnvironment, environment),
    BadBody("environment with a trailing space", F.body(environment: #""Prod ""#), .unknownEnvironment, environment),
    BadBody(
        "environment with Cyrillic e", F.body(environment: #""Dеv""#), .unknownEnvironment, environment,
        mentions: ["CYRILLIC SMALL LETTER IE) at position 2", "only ASCII"]),
    BadBody("environment with a Kelvin sign", F.body(environment: "\"\u{212A}\""), .unknownEnvironment, environment),

    // databaseName: characters and shape.
    BadBody("name upper case", F.body(databaseName: #""Orders""#), .invalidDatabaseName, name, mentions: ["lower case", "Did you mean `orders`?"]),
    BadBody("name with a hyphen", F.body(databaseName: #""orders-eu""#), .invalidDatabaseName, name, mentions: ["`-` at position 7", "`orders_eu`"]),
    BadBody("name begins with a digit", F.body(databaseName: #""1orders""#), .invalidDatabaseName, name, mentions: ["begin with a letter"]),
    BadBody("name begins with an underscore", F.body(databaseName: #""_orders""#), .invalidDatabaseName, name, mentions: ["`orders`"]),
    BadBody("name with a double underscore", F.body(databaseName: #""orders__eu""#), .invalidDatabaseName, name, mentions: ["position 7", "`--`"]),
    BadBody("name ends with an underscore", F.body(databaseName: #""orders_""#), .invalidDatabaseName, name, mentions: ["`orders--dev`"]),
    BadBody("name is a relative path", F.body(databaseName: #""../x""#), .invalidDatabaseName, name, mentions: ["not a path"]),
    BadBody("name holds a slash", F.body(databaseName: #""a/b""#), .invalidDatabaseName, name, mentions: ["not a path", "position 2"]),
    BadBody("name holds a backslash", F.body(databaseName: #""a\\b""#), .invalidDatabaseName, name, mentions: ["not a path"]),
    BadBody("name holds a quote", F.body(databaseName: #""orders\"""#), .invalidDatabaseName, name, mentions: ["position 7"]),
    BadBody("name holds a newline", F.body(databaseName: #""orders\n""#), .invalidDatabaseName, name, mentions: ["newline (U+000A) at position 7"]),
    BadBody("name holds NUL", F.body(databaseName: #""a\u0000b""#), .invalidDatabaseName, name, mentions: ["U+0000"]),
    BadBody("name is a Terraform interpolation", F.body(databaseName: #""${var.x}""#), .invalidDatabaseName, name, mentions: ["`${`", "template"]),
    BadBody("name is a Terraform directive", F.body(databaseName: #""%{if true}x""#), .invalidDatabaseName, name, mentions: ["`%{`"]),
    BadBody(
        "name with Cyrillic o", F.body(databaseName: #""оrders""#), .invalidDatabaseName, name,
        mentions: ["U+043E (CYRILLIC SMALL LETTER O) at position 1", "only ASCII"]),
    BadBody(
        "name with a fullwidth letter", F.body(databaseName: #""orderｓ""#), .invalidDatabaseName, name,
        mentions: ["FULLWIDTH LATIN SMALL LETTER S", "position 6"]),
    BadBody(
        "name with a zero-width space", F.body(databaseName: #""ord\u200Bers""#), .invalidDatabaseName, name,
        mentions: ["ZERO WIDTH SPACE", "position 4"]),
    BadBody("name with an emoji", F.body(databaseName: #""db\ud83d\ude00""#), .invalidDatabaseName, name, mentions: ["U+1F600"]),
    BadBody("name empty", F.body(databaseName: #""""#), .invalidDatabaseName, name, mentions: ["empty"]),
    BadBody("name with a space", F.body(databaseName: #""orders db""#), .invalidDatabaseName, name, mentions: ["a space", "`orders_db`"]),
    BadBody("name with SQL", F.body(databaseName: #""orders;drop""#), .invalidDatabaseName, name, mentions: ["`;`"]),
    BadBody("name with a dot", F.body(databaseName: #""orders.eu""#), .invalidDatabaseName, name),

    // databaseName: reserved words.
    BadBody("name postgres", F.body(databaseName: #""postgres""#), .reservedDatabaseName, name, mentions: ["system database", "`postgres_db`"]),
    BadBody("name template1", F.body(databaseName: #""template1""#), .reservedDatabaseName, name),
    BadBody("name rdsadmin", F.body(databaseName: #""rdsadmin""#, databaseEngine: #""MySQL""#), .reservedDatabaseName, name),
    BadBody("name like rdsadmin", F.body(databaseName: #""rdsadmin2""#), .reservedDatabaseName, name, mentions: ["`rdsadmin`"]),
    BadBody("name rds_ prefix", F.body(databaseName: #""rds_tools""#), .reservedDatabaseName, name),
    BadBody("name mysql", F.body(databaseName: #""mysql""#, databaseEngine: #""MySQL""#), .reservedDatabaseName, name),
    BadBody("name mysql on PostgreSQL", F.body(databaseName: #""mysql""#), .reservedDatabaseName, name),
    BadBody("name information_schema", F.body(databaseName: #""information_schema""#), .reservedDatabaseName, name),
    BadBody("name tmp", F.body(databaseName: #""tmp""#, databaseEngine: #""MySQL""#), .reservedDatabaseName, name),
    BadBody("name select on MySQL", F.body(databaseName: #""select""#, databaseEngine: #""mysql""#), .reservedDatabaseName, name, mentions: ["MySQL 8.0"]),
    BadBody("name user on PostgreSQL", F.body(databaseName: #""user""#), .reservedDatabaseName, name, mentions: ["PostgreSQL"]),
    BadBody("name database on MySQL", F.body(databaseName: #""database""#, databaseEngine: #""MySQL""#), .reservedDatabaseName, name),
    BadBody("name offset on PostgreSQL", F.body(databaseName: #""offset""#), .reservedDatabaseName, name),
    BadBody("name verbose on PostgreSQL", F.body(databaseName: #""verbose""#), .reservedDatabaseName, name),

    // databaseName: length.
    BadBody(
        "name too long for Dev", F.body(databaseName: F.jsonString(String(repeating: "a", count: 60))), .databaseNameTooLong,
        name, mentions: ["at most 59", "Dev", "63"]),
    BadBody(
        "name too long for Prod", F.body(databaseName: F.jsonString(String(repeating: "a", count: 59)), environment: #""Prod""#),
        .databaseNameTooLong, name, mentions: ["at most 58", "Prod"]),
    BadBody(
        "name too long for MySQL", F.body(databaseName: F.jsonString(String(repeating: "a", count: 65)), databaseEngine: #""MySQL""#, environment: #""Test""#),
        .databaseNameTooLong, name, mentions: ["MySQL allows at most 64"]),
    BadBody(
        "name too long for PostgreSQL", F.body(databaseName: F.jsonString(String(repeating: "a", count: 64)), environment: #""Test""#),
        .databaseNameTooLong, name, mentions: ["PostgreSQL allows at most 63"]),

    // owner.
    BadBody("owner empty", F.body(owner: #""""#), .invalidOwner, owner, mentions: ["leave the field out"]),
    BadBody("owner with a dollar", F.body(owner: #""team$x""#), .invalidOwner, owner, mentions: ["`$` at position 5"]),
    BadBody("owner with braces", F.body(owner: #""team {x}""#), .invalidOwner, owner),
    BadBody("owner with a percent", F.body(owner: #""50%""#), .invalidOwner, owner),
    BadBody("owner with quotes", F.body(owner: #""\"team\"""#), .invalidOwner, owner),
    BadBody("owner with a tab", F.body(owner: #""team\tx""#), .invalidOwner, owner, mentions: ["tab"]),
    BadBody("owner too long", F.body(owner: F.jsonString(String(repeating: "t", count: 129))), .invalidOwner, owner, mentions: ["128"]),
    BadBody("owner with a leading space", F.body(owner: #"" team""#), .invalidOwner, owner),
    BadBody("owner with aws: prefix", F.body(owner: #""AWS:team""#), .invalidOwner, owner, mentions: ["`aws:`"]),
    BadBody("owner not ASCII", F.body(owner: #""Zoë""#), .invalidOwner, owner, mentions: ["only ASCII"]),
]

@Suite("Refused request bodies")
struct RequestBadBodyTests {
    @Test func tableIsLargeEnough() {
        #expect(badBodies.count >= 60)
        #expect(Set(badBodies.map(\.label)).count == badBodies.count, "labels must be unique")
    }

    @Test(arguments: badBodies)
    func refused(_ bad: BadBody) {
        guard let errors = RequestFixtures.errors(bad.bytes) else { return }
        #expect(errors.first.code == bad.code, "\(errors)")
        #expect(errors.first.field == bad.field, "\(errors)")
        for text in bad.mentions {
            #expect(errors.first.message.contains(text), "message lacks \(text): \(errors.first.message)")
        }
        for error in errors.errors {
            #expect(error.message.hasSuffix(".") || error.message.hasSuffix("?"), "not a sentence: \(error.message)")
        }
    }

    @Test func everyProblemIsReportedInContractOrder() {
        let body = RequestFixtures.body(
            databaseName: #""Orders-EU""#, databaseEngine: #""oracle""#, environment: #""staging""#, owner: #""$x""#,
            extra: #""region": "eu", "enviroment": "Dev""#)
        guard let errors = RequestFixtures.errors(body) else { return }
        #expect(errors.errors.map(\.code) == [.invalidDatabaseName, .unsupportedEngine, .unknownField, .unknownEnvironment, .invalidOwner, .unknownField])
        #expect(errors.errors.map(\.field) == [name, engine, "enviroment", environment, owner, "region"])
        #expect(errors.first.message.contains("`orders_eu`"))
    }

    @Test func missingFieldPointsAtTheNearMiss() {
        guard let errors = RequestFixtures.errors(RequestFixtures.body(environment: nil, extra: #""Environment": "Dev""#)) else { return }
        let missing = errors.errors.first { $0.code == .missingField }
        #expect(missing?.field == environment)
        #expect(missing?.message.contains("The body has `Environment` instead") == true, "\(errors)")
    }

    @Test func typoNeverFallsBackToADefault() {
        // Only `owner` is optional; a misspelt optional field is still refused, never ignored.
        guard let errors = RequestFixtures.errors(RequestFixtures.body(extra: #""Owner": "team-a""#)) else { return }
        #expect(errors.errors.map(\.code) == [.unknownField])
        #expect(errors.first.message.contains("`owner`"))
    }

    @Test func reservedWordsApplyToTheirEngineOnly() throws {
        // `database` is reserved in MySQL 8.0 but not in PostgreSQL; `offset` the other way round.
        let validator = RequestFixtures.validator
        _ = try validator.validate(body: RequestFixtures.body(databaseName: #""database""#))
        _ = try validator.validate(body: RequestFixtures.body(databaseName: #""offset""#, databaseEngine: #""MySQL""#))
        #expect(throws: RequestErrors.self) { try validator.validate(body: RequestFixtures.body(databaseName: #""database""#, databaseEngine: #""MySQL""#)) }
    }

    @Test func messagesNeverEchoUnsafeInput() {
        let hostile = #""${jndi:ldap://x}\"\n%{y}""#
        for body in [
            RequestFixtures.body(databaseEngine: hostile), RequestFixtures.body(environment: hostile),
            RequestFixtures.body(extra: hostile + #": "x""#),
        ] {
            guard let errors = RequestFixtures.errors(body) else { continue }
            for error in errors.errors {
                #expect(!error.message.contains("jndi"), "\(error)")
                #expect(!error.message.contains("\n"), "\(error)")
            }
        }
    }
}
