from cme_runtime.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8004
    authority_name: str = "Worcestershire County Council"
