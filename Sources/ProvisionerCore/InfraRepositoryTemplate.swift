/// The starting content of an infrastructure repository: the aurora-cluster module (embedded
/// from `terraform/modules/aurora-cluster` by `scripts/embed-terraform-module`), a README and a
/// `.gitignore`. Stacks for requests are added next to it under `stacks/`.
public enum InfraRepositoryTemplate {
    public static var files: [StackFile] {
        EmbeddedTerraformModule.files + [
            StackFile(path: "README.md", contents: readme),
            StackFile(path: ".gitignore", contents: gitignore),
        ]
    }

    static let readme = """
        # Aurora databases

        This repository holds the Aurora clusters created through rds-provisioner: one pull
        request per requested database, reviewed and merged like any other change.

        - `terraform/modules/aurora-cluster/`: the module every stack uses (see its README for
          what it creates and why).
        - `stacks/<environment>/<database>/`: one stack per database, written by rds-provisioner:
          `versions.tf` (Terraform and provider versions, S3 backend with native locking, one state
          object per stack), `providers.tf` (region, deploy role, default tags), `main.tf` (the
          module call with every value the environment's profile decided), `outputs.tf`, and
          `stack.json` (the request, its id and the resolved profile, for tooling and audit).

        Review a pull request from its description: it lists the engine and version, capacity,
        instances and zones, backups, protection, encryption and credentials. Any security check
        a profile skips on purpose is listed with its reason and appears as a
        `#checkov:skip=...` comment in `main.tf`.

        Applying a stack by hand:

            cd stacks/prod/orders
            terraform init
            terraform plan -out plan.tfplan
            terraform apply plan.tfplan

        Continuous integration (plan on pull requests, apply on merge) is configured separately.

        """

    static let gitignore = """
        # Terraform working files
        .terraform/
        *.tfplan
        *.tfstate
        *.tfstate.*
        crash.log
        crash.*.log
        override.tf
        override.tf.json
        *_override.tf
        *_override.tf.json
        .terraformrc
        terraform.rc

        """
}
