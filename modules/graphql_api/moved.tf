# The API key became optional (api_key.enabled, counted): the key and its rotation of a stack applied before
# keep their identity, so callers keep the key they have.

moved {
  from = time_rotating.api_key
  to   = time_rotating.api_key[0]
}

moved {
  from = aws_appsync_api_key.this
  to   = aws_appsync_api_key.this[0]
}
