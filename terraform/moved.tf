# Event handlers became wired by their manifest trigger (for_each by handler): the resources of a stack
# applied before keep their identity.

moved {
  from = aws_lambda_permission.ses_events
  to   = aws_lambda_permission.ses_events["emailEvents"]
}

moved {
  from = aws_sns_topic_subscription.ses_events
  to   = aws_sns_topic_subscription.ses_events["emailEvents"]
}

moved {
  from = aws_lambda_permission.sms_delivery_logs["success"]
  to   = aws_lambda_permission.sms_delivery_logs["smsEvents-success"]
}

moved {
  from = aws_lambda_permission.sms_delivery_logs["failure"]
  to   = aws_lambda_permission.sms_delivery_logs["smsEvents-failure"]
}

moved {
  from = aws_cloudwatch_log_subscription_filter.sms_delivery["success"]
  to   = aws_cloudwatch_log_subscription_filter.sms_delivery["smsEvents-success"]
}

moved {
  from = aws_cloudwatch_log_subscription_filter.sms_delivery["failure"]
  to   = aws_cloudwatch_log_subscription_filter.sms_delivery["smsEvents-failure"]
}

moved {
  from = aws_cloudwatch_event_rule.stale_pending
  to   = aws_cloudwatch_event_rule.schedule["stalePending"]
}

moved {
  from = aws_lambda_permission.stale_pending
  to   = aws_lambda_permission.schedule["stalePending"]
}

moved {
  from = aws_cloudwatch_event_target.stale_pending
  to   = aws_cloudwatch_event_target.schedule["stalePending"]
}

# The erasure function became one of the functions of handlers/clients (for_each): the function, its role, log
# group and policies of a stack applied before keep their identity.
moved {
  from = module.erasure_function
  to   = module.clients_functions["erasure"]
}
