"""The operations of the API, one router per subject (registered in `api.v1`)."""
