/// The starting content of an infrastructure repository: the aurora-cluster module (from
/// `terraform/modules/aurora-cluster`), and the files of `infra-repo-template/` at the root: a
/// README, `.gitignore`, `.github/CODEOWNERS`, the CircleCI pipeline (`.circleci/`) and the
/// scripts it runs (`scripts/`). Both are embedded by `scripts/embed-terraform-module`, so the
/// local publisher and `rds-provisioner init-repo` write the same bytes. Stacks for requests are
/// added next to them under `stacks/`.
public enum InfraRepositoryTemplate {
    /// Every file, paths relative to the repository root, sorted by path.
    public static var files: [StackFile] { EmbeddedTemplate.files }

    /// The paths among `files` to write as executable (git mode 100755, file mode 0755).
    public static var executablePaths: Set<String> { EmbeddedTemplate.executablePaths }
}
