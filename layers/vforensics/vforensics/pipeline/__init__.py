"""The pipeline's steps: what each Lambda does, minus the handler boilerplate.

Each step reads its inputs from S3, calls the pure library (media, analyzers, scoring,
report) and writes its outputs to S3 / DynamoDB / EventBridge through boto3, so the same
code runs on AWS, on the embedded local engine, or against any ``AWS_ENDPOINT_URL``.
"""
