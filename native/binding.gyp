{
  "targets": [
    {
      "target_name": "merkle_sha256",
      "sources": ["merkle-sha256.c"],
      "cflags": ["-O2"]
    }
  ]
}
