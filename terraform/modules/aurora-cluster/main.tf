# An Aurora (MySQL or PostgreSQL) cluster with production defaults: encrypted storage, TLS
# required by the cluster parameter group, no public access, no security group egress,
# deletion protection, final snapshot, Performance Insights, enhanced monitoring, exported
# logs with retention, IAM database authentication and an optional AWS Backup plan.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  is_mysql      = var.engine == "aurora-mysql"
  is_serverless = var.instance_class == "db.serverless"
  port          = local.is_mysql ? 3306 : 5432

  # aurora-postgresql16, aurora-mysql8.0: the family follows the major version.
  parameter_group_family = local.is_mysql ? "aurora-mysql${join(".", slice(split(".", var.engine_version), 0, 2))}" : "aurora-postgresql${split(".", var.engine_version)[0]}"

  # Without an explicit list: the error and audit/slow query logs (MySQL), the PostgreSQL log.
  log_exports = var.enabled_cloudwatch_logs_exports == null ? (var.engine == "aurora-mysql" ? ["audit", "error", "slowquery"] : ["postgresql"]) : var.enabled_cloudwatch_logs_exports

  managed_credentials = var.credentials_mode == "managed"
  create_kms_key      = var.kms_key_arn == null && var.create_kms_key
  kms_key_arn         = var.kms_key_arn != null ? var.kms_key_arn : (local.create_kms_key ? aws_kms_key.this[0].arn : null)

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # Instance identifiers allow 63 characters: <cluster>-<n>, or for clusters longer than 60
  # characters a shortened prefix made unique by a hash of the full identifier.
  instance_identifier_prefix = length(var.cluster_identifier) <= 60 ? var.cluster_identifier : "${trimsuffix(substr(var.cluster_identifier, 0, 51), "-")}-${substr(sha256(var.cluster_identifier), 0, 8)}"

  # AWS Backup names allow 50 characters.
  backup_name = length(var.cluster_identifier) <= 43 ? "${var.cluster_identifier}-backup" : "${substr(var.cluster_identifier, 0, 34)}-${substr(sha256(var.cluster_identifier), 0, 8)}-backup"
}

# ---------------------------------------------------------------------------------------------
# Network: VPC, subnets, subnet group, security group
# ---------------------------------------------------------------------------------------------

data "aws_vpc" "this" {
  id   = var.vpc_id
  tags = var.vpc_id == null ? var.vpc_tags : null
}

data "aws_db_subnet_group" "existing" {
  count = var.db_subnet_group_name != null ? 1 : 0

  name = var.db_subnet_group_name
}

data "aws_subnets" "tagged" {
  count = var.db_subnet_group_name == null && length(var.subnet_ids) == 0 ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.this.id]
  }

  tags = var.subnet_tags
}

locals {
  subnet_ids = sort(
    var.db_subnet_group_name != null ? tolist(data.aws_db_subnet_group.existing[0].subnet_ids) :
    length(var.subnet_ids) > 0 ? var.subnet_ids : tolist(data.aws_subnets.tagged[0].ids)
  )
}

data "aws_subnet" "this" {
  for_each = toset(local.subnet_ids)

  id = each.value
}

locals {
  availability_zones   = sort(distinct([for subnet in data.aws_subnet.this : subnet.availability_zone]))
  db_subnet_group_name = var.db_subnet_group_name != null ? var.db_subnet_group_name : aws_db_subnet_group.this[0].name

  # Without explicit clients, anything inside the VPC may connect (never the internet).
  ingress_cidr_blocks = length(var.allowed_cidr_blocks) == 0 && length(var.allowed_security_group_ids) == 0 ? [data.aws_vpc.this.cidr_block] : var.allowed_cidr_blocks
}

resource "aws_db_subnet_group" "this" {
  count = var.db_subnet_group_name == null ? 1 : 0

  name        = var.cluster_identifier
  description = "Subnets of Aurora cluster ${var.cluster_identifier}"
  subnet_ids  = local.subnet_ids
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = length(local.availability_zones) >= 2
      error_message = "The subnets of a DB subnet group must span at least two availability zones."
    }
  }
}

resource "aws_security_group" "this" {
  name_prefix = "${var.cluster_identifier}-"
  description = "Clients of Aurora cluster ${var.cluster_identifier}. No egress rules: the database opens no connections."
  vpc_id      = data.aws_vpc.this.id
  tags        = merge(var.tags, { Name = var.cluster_identifier })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "cidr" {
  for_each = toset(local.ingress_cidr_blocks)

  security_group_id = aws_security_group.this.id
  description       = "Database clients in ${each.value}"
  ip_protocol       = "tcp"
  from_port         = local.port
  to_port           = local.port
  cidr_ipv4         = each.value
  tags              = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "security_group" {
  for_each = toset(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.this.id
  description                  = "Database clients in security group ${each.value}"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = each.value
  tags                         = var.tags
}

# ---------------------------------------------------------------------------------------------
# Encryption key (when none is given)
# ---------------------------------------------------------------------------------------------

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "Aurora cluster ${var.cluster_identifier}: storage, master user secret, Performance Insights, logs, backups"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags

  # The account administers the key through IAM (RDS, Secrets Manager, Performance Insights
  # and AWS Backup use it with the caller's permissions); CloudWatch Logs may use it only for
  # this cluster's log groups.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKeyThroughIAM"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsForThisCluster"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/rds/cluster/${var.cluster_identifier}/*"
          }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/rds/${var.cluster_identifier}"
  target_key_id = aws_kms_key.this[0].key_id
}

# ---------------------------------------------------------------------------------------------
# Cluster parameter groups: TLS required, logging
# ---------------------------------------------------------------------------------------------

locals {
  # TLS is required for every connection. PostgreSQL logs DDL and statements slower than one
  # second; MySQL audits connections, DCL and DDL, and logs queries slower than one second.
  postgresql_cluster_parameters = [
    { name = "rds.force_ssl", value = "1" },
    { name = "log_statement", value = "ddl" },
    { name = "log_min_duration_statement", value = "1000" },
  ]
  mysql_cluster_parameters = [
    { name = "require_secure_transport", value = "ON" },
    { name = "server_audit_logging", value = "1" },
    { name = "server_audit_events", value = "CONNECT,QUERY_DCL,QUERY_DDL" },
    { name = "slow_query_log", value = "1" },
    { name = "long_query_time", value = "1" },
    { name = "log_output", value = "FILE" },
  ]
}

resource "aws_rds_cluster_parameter_group" "this" {
  name_prefix = "${var.cluster_identifier}-"
  family      = local.parameter_group_family
  description = "Aurora cluster ${var.cluster_identifier}: TLS required, logging"
  tags        = var.tags

  dynamic "parameter" {
    # Written against var.engine directly so static analysis (checkov) can follow it.
    for_each = var.engine == "aurora-mysql" ? local.mysql_cluster_parameters : local.postgresql_cluster_parameters

    content {
      name  = parameter.value.name
      value = parameter.value.value
    }
  }

  # A new family (major upgrade) gets a new group before the old one goes.
  lifecycle {
    create_before_destroy = true
  }
}

# ---------------------------------------------------------------------------------------------
# Logs and enhanced monitoring
# ---------------------------------------------------------------------------------------------

# Created before the cluster so RDS exports into log groups with retention and encryption.
resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(local.log_exports)

  name              = "/aws/rds/cluster/${var.cluster_identifier}/${each.value}"
  retention_in_days = var.cloudwatch_log_group_retention_in_days
  kms_key_id        = local.kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  name_prefix = "rds-monitoring-"
  description = "Enhanced monitoring of Aurora cluster ${var.cluster_identifier}"
  tags        = var.tags

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.monitoring_interval > 0 ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# ---------------------------------------------------------------------------------------------
# Credentials (shared-secret mode)
# ---------------------------------------------------------------------------------------------

data "aws_secretsmanager_secret_version" "shared" {
  count = local.managed_credentials ? 0 : 1

  secret_id = var.shared_secret_name
}

locals {
  shared_credentials = local.managed_credentials ? null : sensitive(jsondecode(data.aws_secretsmanager_secret_version.shared[0].secret_string))
}

# ---------------------------------------------------------------------------------------------
# Cluster and instances
# ---------------------------------------------------------------------------------------------

resource "aws_rds_cluster" "this" {
  cluster_identifier = var.cluster_identifier
  engine             = var.engine
  engine_mode        = "provisioned"
  # PostgreSQL pinned by major ("16"): the provider reads 16.x as no change, so automatic
  # minor upgrades never show as drift. Aurora MySQL pinned to an LTS release with automatic
  # minor upgrades off; AWS patches within the LTS release are applied deliberately.
  engine_version              = var.engine_version
  engine_lifecycle_support    = "open-source-rds-extended-support-disabled"
  allow_major_version_upgrade = var.allow_major_version_upgrade
  database_name               = var.database_name
  port                        = local.port

  master_username               = local.managed_credentials ? var.master_username : local.shared_credentials.username
  manage_master_user_password   = local.managed_credentials ? true : null
  master_user_secret_kms_key_id = local.managed_credentials ? local.kms_key_arn : null
  master_password               = local.managed_credentials ? null : local.shared_credentials.password

  db_subnet_group_name            = local.db_subnet_group_name
  vpc_security_group_ids          = [aws_security_group.this.id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name

  storage_encrypted                   = true
  kms_key_id                          = local.kms_key_arn
  iam_database_authentication_enabled = var.iam_database_authentication_enabled
  enabled_cloudwatch_logs_exports     = local.log_exports
  backtrack_window                    = local.is_mysql ? var.backtrack_window : null

  backup_retention_period      = var.backup_retention_period
  preferred_backup_window      = var.preferred_backup_window
  preferred_maintenance_window = var.preferred_maintenance_window
  copy_tags_to_snapshot        = true
  deletion_protection          = var.deletion_protection
  skip_final_snapshot          = var.skip_final_snapshot
  final_snapshot_identifier    = var.skip_final_snapshot ? null : var.final_snapshot_identifier
  apply_immediately            = var.apply_immediately

  dynamic "serverlessv2_scaling_configuration" {
    for_each = local.is_serverless ? [1] : []

    content {
      min_capacity             = var.serverless_min_capacity
      max_capacity             = var.serverless_max_capacity
      seconds_until_auto_pause = var.serverless_min_capacity == 0 ? var.serverless_seconds_until_auto_pause : null
    }
  }

  tags = var.tags

  lifecycle {
    # The master user is fixed when the cluster is created: a changed name (say, in the
    # shared secret) must not turn into a plan that replaces the cluster and its data.
    ignore_changes = [master_username]
  }

  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_rds_cluster_instance" "this" {
  count = var.instance_count

  identifier         = "${local.instance_identifier_prefix}-${count.index + 1}"
  cluster_identifier = aws_rds_cluster.this.id
  engine             = aws_rds_cluster.this.engine
  instance_class     = var.instance_class
  # Round-robin over the zones of the subnets: the writer and the first reader never share one.
  availability_zone    = var.spread_across_azs ? local.availability_zones[count.index % length(local.availability_zones)] : null
  db_subnet_group_name = local.db_subnet_group_name
  publicly_accessible  = false
  promotion_tier       = count.index
  ca_cert_identifier   = "rds-ca-rsa2048-g1"

  auto_minor_version_upgrade            = var.auto_minor_version_upgrade
  monitoring_interval                   = var.monitoring_interval
  monitoring_role_arn                   = var.monitoring_interval > 0 ? aws_iam_role.monitoring[0].arn : null
  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? local.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_period : null
  copy_tags_to_snapshot                 = true
  apply_immediately                     = var.apply_immediately
  tags                                  = var.tags

  depends_on = [aws_iam_role_policy_attachment.monitoring]
}

# ---------------------------------------------------------------------------------------------
# AWS Backup (optional): a vault encrypted with the cluster's key, a daily rule, a selection
# ---------------------------------------------------------------------------------------------

resource "aws_backup_vault" "this" {
  count = var.aws_backup_enabled ? 1 : 0

  name        = local.backup_name
  kms_key_arn = local.kms_key_arn
  tags        = var.tags
}

resource "aws_backup_plan" "this" {
  count = var.aws_backup_enabled ? 1 : 0

  name = local.backup_name
  tags = var.tags

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this[0].name
    schedule          = var.aws_backup_schedule

    lifecycle {
      delete_after = var.aws_backup_retention_days
    }
  }
}

resource "aws_iam_role" "backup" {
  count = var.aws_backup_enabled ? 1 : 0

  name_prefix = "rds-backup-"
  description = "AWS Backup of Aurora cluster ${var.cluster_identifier}"
  tags        = var.tags

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = var.aws_backup_enabled ? toset(["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]) : toset([])

  role       = aws_iam_role.backup[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/${each.value}"
}

resource "aws_backup_selection" "this" {
  count = var.aws_backup_enabled ? 1 : 0

  name         = "aurora-cluster"
  plan_id      = aws_backup_plan.this[0].id
  iam_role_arn = aws_iam_role.backup[0].arn
  resources    = [aws_rds_cluster.this.arn]

  depends_on = [aws_iam_role_policy_attachment.backup]
}
