output "cluster_identifier" {
  description = "Identifier of the Aurora cluster."
  value       = aws_rds_cluster.this.cluster_identifier
}

output "cluster_arn" {
  description = "ARN of the Aurora cluster."
  value       = aws_rds_cluster.this.arn
}

output "cluster_resource_id" {
  description = "Resource id of the cluster (for IAM database authentication policies)."
  value       = aws_rds_cluster.this.cluster_resource_id
}

output "endpoint" {
  description = "Writer endpoint."
  value       = aws_rds_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint (load-balanced over the readers; the writer when there are none)."
  value       = aws_rds_cluster.this.reader_endpoint
}

output "port" {
  description = "Port the engine listens on."
  value       = aws_rds_cluster.this.port
}

output "database_name" {
  description = "Name of the database created in the cluster."
  value       = aws_rds_cluster.this.database_name
}

output "engine_version_actual" {
  description = "Engine version running now (after automatic minor upgrades)."
  value       = aws_rds_cluster.this.engine_version_actual
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret holding the master credentials: the RDS-managed secret, or the shared secret."
  value       = local.managed_credentials ? aws_rds_cluster.this.master_user_secret[0].secret_arn : data.aws_secretsmanager_secret_version.shared[0].arn
}

output "security_group_id" {
  description = "Security group of the cluster (reference it from other rules to let more clients in)."
  value       = aws_security_group.this.id
}

output "kms_key_arn" {
  description = "KMS key encrypting the cluster (null: AWS-managed keys)."
  value       = local.kms_key_arn
}

output "instance_identifiers" {
  description = "Identifiers of the instances; the first is the preferred writer."
  value       = aws_rds_cluster_instance.this[*].identifier
}
