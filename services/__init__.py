"""Local AWS for PetroStream: LocalStack (Docker or host process), Terraform, Lambda builds."""
