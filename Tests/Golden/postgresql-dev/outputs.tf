output "cluster_identifier" {
  description = "Identifier of the Aurora cluster."
  value       = module.aurora_cluster.cluster_identifier
}

output "cluster_arn" {
  description = "ARN of the Aurora cluster."
  value       = module.aurora_cluster.cluster_arn
}

output "endpoint" {
  description = "Writer endpoint."
  value       = module.aurora_cluster.endpoint
}

output "reader_endpoint" {
  description = "Reader endpoint."
  value       = module.aurora_cluster.reader_endpoint
}

output "port" {
  description = "Port the engine listens on."
  value       = module.aurora_cluster.port
}

output "database_name" {
  description = "Name of the database."
  value       = module.aurora_cluster.database_name
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret with the master credentials."
  value       = module.aurora_cluster.master_user_secret_arn
}

output "security_group_id" {
  description = "Security group of the cluster."
  value       = module.aurora_cluster.security_group_id
}
