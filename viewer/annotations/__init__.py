"""Drawing and editing annotations on the views, their list panel, actions and exports."""
