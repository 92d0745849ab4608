/// One file of a rendered change: a path relative to the infrastructure repository's root
/// (always validated, never absolute, never containing `..`) and its UTF-8 contents.
public struct StackFile: Sendable, Hashable, Codable {
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}
