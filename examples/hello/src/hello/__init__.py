"""The hello example project: greet someone, three nodes long."""
