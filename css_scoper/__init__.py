"""Rewrite CSS so each rule applies only under a prefix selector."""
