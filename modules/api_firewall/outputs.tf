output "web_acl_arn" {
  description = "ARN of the web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "log_group_name" {
  description = "Log group of the firewall's request logs."
  value       = aws_cloudwatch_log_group.this.name
}

output "name" {
  description = "Name of the web ACL."
  value       = aws_wafv2_web_acl.this.name
}

output "metric_name" {
  description = "The web ACL's CloudWatch metric name: the WebACL dimension of its AWS/WAFV2 metrics (with Region, and Rule = ALL for the whole ACL)."
  value       = one(aws_wafv2_web_acl.this.visibility_config).metric_name
}
