"""The publishing calendar: month, week and list views, scheduling, the iCal feed."""
