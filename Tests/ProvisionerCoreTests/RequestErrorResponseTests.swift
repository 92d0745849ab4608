import Foundation
import ProvisionerCore
import Testing

@Suite("Public error body")
struct RequestErrorResponseTests {
    @Test func encodesHeadlineAndEveryError() throws {
        let errors = RequestErrors([
            RequestError(.invalidDatabaseName, field: "databaseName", "`databaseName` must be lower case."),
            RequestError(.unknownEnvironment, field: "environment", "`environment` must be one of `Dev`, `Prod`."),
        ])
        let text = ErrorResponse(errors).encoded()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let headline = try #require(json["error"] as? [String: Any])
        #expect(headline["code"] as? String == "invalid_database_name")
        #expect(headline["field"] as? String == "databaseName")
        let all = try #require(json["errors"] as? [[String: Any]])
        #expect(all.map { $0["code"] as? String } == ["invalid_database_name", "unknown_environment"])

        let decoded = try ErrorResponse.decode(text.utf8)
        #expect(decoded == ErrorResponse(errors))
        #expect(decoded.requestErrors == errors)
    }

    @Test func bodyLevelErrorsHaveANullField() throws {
        let text = ErrorResponse(RequestErrors(RequestError(.emptyBody, field: nil, "The body is empty."))).encoded()
        #expect(text == #"{"error":{"code":"empty_body","field":null,"message":"The body is empty."},"errors":[{"code":"empty_body","field":null,"message":"The body is empty."}]}"#)
        #expect(try ErrorResponse.decode(text.utf8).error.field == nil)
    }

    @Test func apiLevelCodesDecodeButAreNotRequestErrors() throws {
        let response = ErrorResponse(code: "not_found", message: "No request with id `x`.")
        let decoded = try ErrorResponse.decode(response.encoded().utf8)
        #expect(decoded.error.code == "not_found")
        #expect(decoded.errors.count == 1)
        #expect(decoded.requestErrors == nil)
    }

    @Test func validatorErrorsBecomeTheBody() throws {
        do {
            _ = try RequestFixtures.validator.validate(body: "[]".utf8)
            Issue.record("[] must be refused")
        } catch {
            let response = ErrorResponse(error)
            #expect(response.error.code == "body_not_object")
            #expect(error.first.code.httpStatus == 400)
        }
        #expect(RequestErrorCode.bodyTooLarge.httpStatus == 413)
        #expect(RequestErrorCode.alreadyProvisioned.httpStatus == 409)
    }
}
