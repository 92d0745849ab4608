/// An environment profile: everything an environment (Dev, Prod, or one an organisation adds)
/// decides about the clusters created in it. SHELL: fleshed out by the profiles work.
public struct EnvironmentProfile: Sendable, Hashable, Codable {
    /// The canonical name, as users write it in requests (`Dev`, `Prod`, `Staging`).
    public var name: String

    public init(name: String) {
        self.name = name
    }

    /// Lower-case slug used in paths, branches and identifiers.
    public var slug: String { name.lowercased() }
}

/// The profiles in force: built-in Dev and Prod, overridden or extended by a profile file.
public struct ProfileSet: Sendable, Hashable {
    public var profiles: [EnvironmentProfile]

    public init(profiles: [EnvironmentProfile]) {
        self.profiles = profiles
    }

    public static let builtIn = ProfileSet(profiles: [EnvironmentProfile(name: "Dev"), EnvironmentProfile(name: "Prod")])

    /// Case-insensitive lookup: `dev`, `DEV` and `Dev` all find `Dev`.
    public func profile(named name: String) -> EnvironmentProfile? {
        profiles.first { $0.name.lowercased() == name.lowercased() }
    }

    public var names: [String] { profiles.map(\.name) }
}
