# Inputs of the aurora-cluster module. Every input is validated here as well as by the
# generator (rds-provisioner), so a hand-edited stack fails at plan time, not in AWS.

# ---------------------------------------------------------------------------------------------
# Identity and engine
# ---------------------------------------------------------------------------------------------

variable "cluster_identifier" {
  description = "Identifier of the Aurora cluster; instances are named <cluster_identifier>-1, -2, ... (shortened with a hash beyond 60 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.cluster_identifier)) && length(var.cluster_identifier) <= 63
    error_message = "cluster_identifier must be 1 to 63 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "engine" {
  description = "Aurora engine: aurora-postgresql (default) or aurora-mysql."
  type        = string
  default     = "aurora-postgresql"

  validation {
    condition     = contains(["aurora-mysql", "aurora-postgresql"], var.engine)
    error_message = "engine must be aurora-mysql or aurora-postgresql."
  }
}

variable "engine_version" {
  description = "Engine version. Aurora PostgreSQL: a major (\"16\", minor upgrades then never show as drift) or major.minor. Aurora MySQL: an exact version such as 8.0.mysql_aurora.3.10.1 (an LTS release)."
  type        = string

  validation {
    condition = (var.engine == "aurora-postgresql"
      ? can(regex("^[0-9]{2}(\\.[0-9]{1,2})?$", var.engine_version))
    : can(regex("^[0-9]\\.[0-9]\\.mysql_aurora\\.[3-9]\\.[0-9]{1,2}\\.[0-9]{1,2}$", var.engine_version)))
    error_message = "engine_version must be a PostgreSQL major or major.minor (16, 16.6) for aurora-postgresql, or an exact Aurora MySQL 3+ version (8.0.mysql_aurora.3.10.1) for aurora-mysql."
  }
}

variable "auto_minor_version_upgrade" {
  description = "Let RDS apply minor versions in the maintenance window. Off for Aurora MySQL LTS releases (AWS's advice: an automatic upgrade can leave the LTS release)."
  type        = bool
  default     = true
}

variable "allow_major_version_upgrade" {
  description = "Allow changing engine_version to another major version."
  type        = bool
  default     = false
}

variable "database_name" {
  description = "Name of the database created in the cluster."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a letter followed by up to 62 letters, digits or underscores."
  }
}

# ---------------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------------

variable "credentials_mode" {
  description = "managed: RDS keeps and rotates the master password in a Secrets Manager secret of its own. shared-secret: username and password are read from the existing secret shared_secret_name (keys username and password)."
  type        = string
  default     = "managed"

  validation {
    condition     = contains(["managed", "shared-secret"], var.credentials_mode)
    error_message = "credentials_mode must be managed or shared-secret."
  }
}

variable "master_username" {
  description = "Master user name in managed mode."
  type        = string
  default     = "dbadmin"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.master_username))
    error_message = "master_username must be a letter followed by up to 15 letters, digits or underscores."
  }
}

variable "shared_secret_name" {
  description = "Secrets Manager secret (JSON with keys username and password) read in shared-secret mode."
  type        = string
  default     = "rds-credentials"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.shared_secret_name))
    error_message = "shared_secret_name must be a Secrets Manager secret name."
  }
}

# ---------------------------------------------------------------------------------------------
# Capacity and placement
# ---------------------------------------------------------------------------------------------

variable "instance_class" {
  description = "db.serverless for Aurora Serverless v2, or a provisioned class such as db.r7g.large."
  type        = string
  default     = "db.serverless"

  validation {
    condition     = can(regex("^db\\.(serverless|[a-z0-9]+\\.[a-z0-9]+)$", var.instance_class))
    error_message = "instance_class must be db.serverless or a DB instance class such as db.r7g.large."
  }
}

variable "instance_count" {
  description = "Number of instances: one writer and instance_count - 1 readers."
  type        = number
  default     = 2

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 15 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 1 to 15."
  }
}

variable "spread_across_azs" {
  description = "Place instances round-robin across the availability zones of the subnets (the writer and first reader never share a zone when the subnets span two or more)."
  type        = bool
  default     = true
}

variable "serverless_min_capacity" {
  description = "Serverless v2 minimum ACUs (steps of 0.5). 0 pauses idle instances, on engine versions that support it."
  type        = number
  default     = 0.5

  validation {
    condition     = var.serverless_min_capacity >= 0 && var.serverless_min_capacity <= 256 && floor(var.serverless_min_capacity * 2) == var.serverless_min_capacity * 2
    error_message = "serverless_min_capacity must be from 0 to 256 in steps of 0.5."
  }
}

variable "serverless_max_capacity" {
  description = "Serverless v2 maximum ACUs (steps of 0.5)."
  type        = number
  default     = 16

  validation {
    condition     = var.serverless_max_capacity >= 1 && var.serverless_max_capacity <= 256 && floor(var.serverless_max_capacity * 2) == var.serverless_max_capacity * 2 && var.serverless_max_capacity >= var.serverless_min_capacity
    error_message = "serverless_max_capacity must be from 1 to 256 in steps of 0.5, and at least serverless_min_capacity."
  }
}

variable "serverless_seconds_until_auto_pause" {
  description = "Idle seconds before an instance pauses, when serverless_min_capacity is 0."
  type        = number
  default     = 3600

  validation {
    condition     = var.serverless_seconds_until_auto_pause >= 300 && var.serverless_seconds_until_auto_pause <= 86400
    error_message = "serverless_seconds_until_auto_pause must be from 300 to 86400."
  }
}

# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------

variable "vpc_id" {
  description = "VPC of the cluster. When null the VPC is found by vpc_tags."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "vpc_tags" {
  description = "Tags that identify the VPC when vpc_id is null."
  type        = map(string)
  default     = {}

  validation {
    condition     = var.vpc_id != null || length(var.vpc_tags) > 0
    error_message = "Set vpc_id, or vpc_tags to find the VPC by its tags."
  }
}

variable "subnet_ids" {
  description = "Subnets of the DB subnet group the module creates (at least two, in different availability zones). Empty: use db_subnet_group_name, or find subnets by subnet_tags."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", id))]) && (length(var.subnet_ids) == 0 || length(var.subnet_ids) >= 2)
    error_message = "subnet_ids must be empty or hold at least two subnet ids such as subnet-0123456789abcdef0."
  }
}

variable "subnet_tags" {
  description = "Tags that identify the database subnets in the VPC when neither subnet_ids nor db_subnet_group_name is set."
  type        = map(string)
  default     = {}
}

variable "db_subnet_group_name" {
  description = "An existing DB subnet group to use instead of creating one."
  type        = string
  default     = null

  validation {
    condition     = var.db_subnet_group_name == null || (length(var.subnet_ids) == 0 && can(regex("^[a-z0-9][a-z0-9 ._-]{0,254}$", var.db_subnet_group_name)) && var.db_subnet_group_name != "default")
    error_message = "db_subnet_group_name must be a DB subnet group name (not default), and subnet_ids must then be empty."
  }
}

variable "allowed_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to connect on the engine port. When this and allowed_security_group_ids are both empty, the VPC's CIDR block is allowed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.allowed_cidr_blocks : can(cidrnetmask(cidr)) && cidrhost(cidr, 0) == split("/", cidr)[0] && !endswith(cidr, "/0")])
    error_message = "allowed_cidr_blocks must hold IPv4 network addresses such as 10.0.0.0/16, never 0.0.0.0/0."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may connect on the engine port."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-([0-9a-f]{8}|[0-9a-f]{17})$", id))])
    error_message = "allowed_security_group_ids must hold security group ids such as sg-0123456789abcdef0."
  }
}

# ---------------------------------------------------------------------------------------------
# Backups, maintenance, protection
# ---------------------------------------------------------------------------------------------

variable "backup_retention_period" {
  description = "Days of Aurora automated backups (point-in-time recovery)."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be from 1 to 35 days."
  }
}

variable "preferred_backup_window" {
  description = "Daily backup window in UTC, hh24:mi-hh24:mi; must not overlap the maintenance window."
  type        = string
  default     = "02:00-03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.preferred_backup_window))
    error_message = "preferred_backup_window must look like 02:00-03:00 (UTC)."
  }
}

variable "preferred_maintenance_window" {
  description = "Weekly maintenance window in UTC, ddd:hh24:mi-ddd:hh24:mi."
  type        = string
  default     = "sun:04:30-sun:05:30"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.preferred_maintenance_window))
    error_message = "preferred_maintenance_window must look like sun:04:30-sun:05:30 (UTC)."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the cluster until this is turned off."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Destroy without a final snapshot. When false, final_snapshot_identifier is required."
  type        = bool
  default     = false
}

variable "final_snapshot_identifier" {
  description = "Identifier of the final snapshot taken on destroy; unique per cluster creation (the generator includes the request id)."
  type        = string
  default     = null

  validation {
    condition     = var.skip_final_snapshot || var.final_snapshot_identifier != null
    error_message = "final_snapshot_identifier is required when skip_final_snapshot is false: without it a destroy fails."
  }

  validation {
    condition     = var.final_snapshot_identifier == null || (can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.final_snapshot_identifier)) && length(coalesce(var.final_snapshot_identifier, "x")) <= 255)
    error_message = "final_snapshot_identifier must be lower-case letters, digits and single hyphens, starting with a letter."
  }
}

variable "apply_immediately" {
  description = "Apply changes at once instead of in the next maintenance window."
  type        = bool
  default     = false
}

variable "backtrack_window" {
  description = "Aurora MySQL backtrack window in seconds (0: off; at most 259200 = 72 hours). Ignored for PostgreSQL."
  type        = number
  default     = 0

  validation {
    condition     = var.backtrack_window >= 0 && var.backtrack_window <= 259200
    error_message = "backtrack_window must be from 0 to 259200 seconds."
  }
}

variable "aws_backup_enabled" {
  description = "Add an AWS Backup plan (own vault, daily rule) for the cluster on top of Aurora's automated backups."
  type        = bool
  default     = true
}

variable "aws_backup_schedule" {
  description = "AWS cron expression (UTC) of the AWS Backup rule."
  type        = string
  default     = "cron(0 5 * * ? *)"

  validation {
    condition     = can(regex("^cron\\([0-9A-Za-z*?,/#-]+( [0-9A-Za-z*?,/#-]+){5}\\)$", var.aws_backup_schedule))
    error_message = "aws_backup_schedule must be an AWS cron expression with six fields, such as cron(0 5 * * ? *)."
  }
}

variable "aws_backup_retention_days" {
  description = "Days AWS Backup keeps each recovery point."
  type        = number
  default     = 35

  validation {
    condition     = var.aws_backup_retention_days >= 1 && var.aws_backup_retention_days <= 36500
    error_message = "aws_backup_retention_days must be from 1 to 36500."
  }
}

# ---------------------------------------------------------------------------------------------
# Encryption
# ---------------------------------------------------------------------------------------------

variable "kms_key_arn" {
  description = "Customer-managed KMS key for storage, the master user secret, Performance Insights, logs and backups. Null: create_kms_key decides."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-)?[a-f0-9-]{32,36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias)."
  }
}

variable "create_kms_key" {
  description = "When kms_key_arn is null: create a customer-managed key for the cluster (rotation on). False: AWS-managed keys."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------
# Observability and access
# ---------------------------------------------------------------------------------------------

variable "performance_insights_enabled" {
  description = "Turn on Performance Insights on every instance."
  type        = bool
  default     = true
}

variable "performance_insights_retention_period" {
  description = "Performance Insights retention in days: 7 (free tier), 31 x months, or 731."
  type        = number
  default     = 7

  validation {
    condition     = var.performance_insights_retention_period == 7 || var.performance_insights_retention_period == 731 || (var.performance_insights_retention_period % 31 == 0 && var.performance_insights_retention_period >= 31 && var.performance_insights_retention_period <= 713)
    error_message = "performance_insights_retention_period must be 7, a multiple of 31 up to 713, or 731."
  }
}

variable "monitoring_interval" {
  description = "Enhanced monitoring interval in seconds (0: off). The module creates the monitoring role."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "enabled_cloudwatch_logs_exports" {
  description = "Logs exported to CloudWatch. aurora-mysql: audit, error, general, slowquery, iam-db-auth-error. aurora-postgresql: postgresql, iam-db-auth-error. Null: audit, error, slowquery (MySQL) or postgresql."
  type        = list(string)
  default     = null

  validation {
    condition = var.enabled_cloudwatch_logs_exports == null || alltrue([for log in coalesce(var.enabled_cloudwatch_logs_exports, []) : contains(
      var.engine == "aurora-mysql" ? ["audit", "error", "general", "slowquery", "iam-db-auth-error"] : ["postgresql", "iam-db-auth-error"],
    log)])
    error_message = "enabled_cloudwatch_logs_exports holds a log type the engine does not export."
  }
}

variable "cloudwatch_log_group_retention_in_days" {
  description = "Retention of the exported logs' CloudWatch log groups (created by the module)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudwatch_log_group_retention_in_days)
    error_message = "cloudwatch_log_group_retention_in_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 365, ..., 3653)."
  }
}

variable "iam_database_authentication_enabled" {
  description = "Allow IAM database authentication (tokens instead of passwords)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags on every resource (the provider's default_tags apply as well)."
  type        = map(string)
  default     = {}
}
