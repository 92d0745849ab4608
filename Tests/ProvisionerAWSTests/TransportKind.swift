import ProvisionerAsyncHTTPClient
import ProvisionerTransport
import Testing

/// The two transports the AWS clients run on (the Lambda's and the worker's); tests that send
/// requests take this as an argument and run on both.
enum TransportKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case socket
    case asyncHTTPClient

    var transport: any HTTPTransport {
        switch self {
        case .socket: SocketHTTPTransport.shared
        case .asyncHTTPClient: AsyncHTTPClientTransport.shared
        }
    }

    var testDescription: String { rawValue }
}
