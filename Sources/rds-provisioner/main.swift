print("rds-provisioner: not yet")
