{
  "targets": [
    {
      "target_name": "tributary_crc32c",
      "sources": ["native/crc32c.c"],
      "cflags": ["-O3"]
    }
  ]
}
